// The in-memory limiter's own module (the package index loads every store it supports, ~9 MB):
// typed as the package types it. Used by the console's sign-in throttle and the throttler storage.
declare module 'rate-limiter-flexible/lib/RateLimiterMemory' {
  import { RateLimiterMemory } from 'rate-limiter-flexible';
  export default RateLimiterMemory;
}
