/**
 * `npm run bench`: every benchmark in turn (intake, intake with the worker on, bulk reconciliation with its no-op rerun,
 * footprint, the console's pages over a large ledger), one table each, then the machine and a summary with the targets
 * of the README's "Benchmarks" table (and the console board's goal, docs/performance.md, 'Operator
 * console').
 *
 *   npm run bench              full sizes (the 1,000-event reconciliation takes ~10 minutes)
 *   npm run bench -- --smoke   tiny sizes, under a minute: what CI runs
 *   npm run bench -- --large   10,000 events in the reconciliation
 *
 * Exits non-zero only on real breakage (a crash, a count that does not match, a missing or
 * duplicated order), never because a target was missed.
 */
import { benchConsole } from './console';
import { benchFootprint } from './footprint';
import { benchIntake } from './intake';
import {
  type BenchResult,
  killServices,
  machineTable,
  parseFlags,
  printResult,
  removeTempDirs,
  renderTable,
  summaryTable,
} from './lib';
import { benchReconcile } from './reconcile';
import { benchWorkerOn } from './worker-on';

async function main(): Promise<void> {
  const flags = parseFlags();
  const started = performance.now();
  console.log(`# npm run bench${flags.smoke ? ' -- --smoke' : flags.large ? ' -- --large' : ''}`);
  const results: BenchResult[] = [];
  const benches: [string, typeof benchIntake][] = [
    ['intake', benchIntake],
    ['worker-on', benchWorkerOn],
    ['reconcile', benchReconcile],
    ['footprint', benchFootprint],
    // 100,000 ledger rows; 2,000 with --smoke (--rows N wins).
    ['console', benchConsole],
  ];
  for (const [name, bench] of benches) {
    console.log(`\n… ${name}`);
    try {
      const result = await bench(flags);
      printResult(result);
      results.push(result);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.log(`  !! ${name} failed: ${message}`);
      results.push({ name, tables: [], targets: [], problems: [`${name} failed: ${message}`] });
    }
  }
  console.log(renderTable(machineTable()));
  console.log(renderTable(summaryTable(results)));
  const problems = results.flatMap((r) => r.problems);
  console.log(
    `\n${problems.length === 0 ? 'no problems' : `${problems.length} problem(s)`} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  removeTempDirs();
  if (problems.length > 0) {
    killServices();
    process.exit(1);
  }
}

void main();
