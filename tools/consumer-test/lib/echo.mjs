// A plain TCP echo backend on a free loopback port; prints the port, runs until killed.
import net from 'node:net';

const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
