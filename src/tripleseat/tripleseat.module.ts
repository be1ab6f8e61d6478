import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { TripleSeatAuth } from './tripleseat-auth';
import { TripleSeatClient } from './tripleseat.client';

/**
 * TripleSeat's own axios instance: the client's interceptors (credentials, correlation id) must
 * never touch requests to other upstreams. Timeouts are set per attempt by ResilientHttp, and the
 * tripleseat config namespace comes from the global ConfigModule.
 */
@Module({
  imports: [
    HttpModule.registerAsync({
      useFactory: () => ({
        headers: { 'User-Agent': 'tripleseat-revel-sync' },
        // A redirect from this API is a login page or a misconfigured base URL, never data.
        maxRedirects: 0,
      }),
    }),
  ],
  providers: [TripleSeatAuth, TripleSeatClient],
  exports: [TripleSeatClient, TripleSeatAuth],
})
export class TripleSeatModule {}
