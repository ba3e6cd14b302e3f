// A launched process for the tests: serves GET /health with the status given (200 by default) on
// the port given, and stops on SIGTERM like the real services do.
import { createServer } from 'node:http';

const [port = '0', status = '200'] = process.argv.slice(2);
const server = createServer((request, response) => {
  response.statusCode = request.url === '/health' ? Number(status) : 404;
  response.end();
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`listening on ${port}\n`);
});
process.once('SIGTERM', () => {
  process.stdout.write('SIGTERM: closing\n');
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
