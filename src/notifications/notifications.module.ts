import { Module } from '@nestjs/common';
import { MailerService } from './mailer.service';

/** Operator notifications. Relies on the global ConfigModule for the `mail` namespace. */
@Module({
  providers: [MailerService],
  exports: [MailerService],
})
export class NotificationsModule {}
