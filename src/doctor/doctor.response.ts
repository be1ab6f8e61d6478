import { ApiProperty } from '@nestjs/swagger';
import type { DoctorCheck, DoctorReport } from './doctor.types';

/** OpenAPI shapes of `GET /api/doctor`; they implement the interfaces the service returns. */

export class DoctorCheckResponse implements DoctorCheck {
  @ApiProperty({ example: 'TripleSeat events page' })
  check!: string;

  @ApiProperty({ example: false })
  ok!: boolean;

  @ApiProperty({
    description:
      'What was found. A check that depends on a failed one says `skipped: <check> failed`.',
    example:
      'the token was issued, but GET /v1/events.json answered 401 "Token resource owner not found": the TripleSeat account is not linked to this OAuth application',
  })
  detail!: string;

  @ApiProperty({
    description: 'What to do when the check failed; empty when it passed.',
    example:
      'link the OAuth application to the account in TripleSeat (Settings → Tripleseat API & Webhooks) — a token can be issued while the account is not linked',
  })
  fix!: string;
}

export class DoctorReportResponse implements DoctorReport {
  @ApiProperty({ description: 'True when every check passed.' })
  ok!: boolean;

  @ApiProperty({ type: [DoctorCheckResponse] })
  checks!: DoctorCheckResponse[];
}
