// Waits until 127.0.0.1:PORT accepts a TCP connection (at most SECONDS, default 15); exit 1 if never.
import net from 'node:net';

const port = Number(process.argv[2]);
const deadline = Date.now() + Number(process.argv[3] ?? 15) * 1000;
const attempt = () => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => {
    socket.destroy();
    process.exit(0);
  });
  socket.once('error', () => {
    if (Date.now() > deadline) process.exit(1);
    setTimeout(attempt, 100);
  });
};
attempt();
