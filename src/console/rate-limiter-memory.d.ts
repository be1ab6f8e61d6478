// The in-memory limiter's own module (see console-auth.service.ts): typed as the package types it.
declare module 'rate-limiter-flexible/lib/RateLimiterMemory' {
  import { RateLimiterMemory } from 'rate-limiter-flexible';
  export default RateLimiterMemory;
}
