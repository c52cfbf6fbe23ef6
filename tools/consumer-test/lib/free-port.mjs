// Prints a loopback TCP port that was free a moment ago (the tunnel config needs a literal port).
import net from 'node:net';

const server = net.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  server.close(() => console.log(port));
});
