// A launched process for the tests: prints some lines on both streams, then exits 3 before it
// ever answers /health (a bad setting, a port in use).
for (let line = 1; line <= 40; line += 1) process.stdout.write(`starting, line ${line}\n`);
process.stderr.write('cannot start: port in use\n');
process.exitCode = 3;
