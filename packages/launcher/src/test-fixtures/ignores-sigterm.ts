// A launched process for the tests: healthy, but SIGTERM does not stop it (a stuck shutdown).
import { createServer } from 'node:http';

const [port = '0'] = process.argv.slice(2);
const server = createServer((_request, response) => response.end());
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.stdout.write('SIGTERM ignored\n'));
