import type { NotificationEvent, Notifier } from './webhook-notifier.js';

/** Every channel at once: the webhooks (always) and mail (when SMTP_URL is set). */
export class Notifications implements Notifier {
  constructor(private readonly channels: Notifier[]) {}

  async notify(event: NotificationEvent, subjectId: string, at?: Date): Promise<void> {
    for (const channel of this.channels) await channel.notify(event, subjectId, at);
  }
}
