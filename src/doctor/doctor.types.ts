/** One go-live check: passed or failed, what was found, and what to do about it. */
export interface DoctorCheck {
  /** What was checked, e.g. `TripleSeat token`. Stable enough for a monitor to match on. */
  check: string;
  ok: boolean;
  /** What was found (a failed check names the problem; a skipped one the check it waited for). */
  detail: string;
  /** A short instruction when the check failed; empty when it passed. */
  fix: string;
}

export interface DoctorReport {
  /** True when every check passed. */
  ok: boolean;
  checks: DoctorCheck[];
}
