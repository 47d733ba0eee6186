/**
 * Child process of the soak's held-lock fault: another process writing to the outbox file (as a long `replay` would).
 * Takes SQLite's write lock (BEGIN IMMEDIATE), prints "locked", holds it for <ms>, commits, prints "released".
 * Usage: node --import tsx soak/hold-write-lock.ts <outbox.db> <ms>
 */
import Database from 'better-sqlite3';

const [path, ms] = process.argv.slice(2);
if (!path || !ms) throw new Error('usage: hold-write-lock.ts <outbox.db> <ms>');
const db = new Database(path, { timeout: 10_000 });
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\n');
setTimeout(() => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released\n');
}, Number(ms));
