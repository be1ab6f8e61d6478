/**
 * The no-op reconciliation alone: `npm run bench:noop [-- --smoke | --events N]`.
 * See reconcile.ts; `npm run bench` measures the no-op as the rerun of the bulk benchmark.
 */
import { runStandalone } from './lib';
import { benchNoop } from './reconcile';

void runStandalone('noop', benchNoop);
