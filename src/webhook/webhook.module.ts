import { Module } from '@nestjs/common';
import { SyncModule } from '../sync/sync.module';
import { WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookController } from './webhook.controller';

@Module({
  imports: [SyncModule],
  controllers: [WebhookController],
  providers: [WebhookSignatureGuard],
})
export class WebhookModule {}
