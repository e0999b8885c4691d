import { createTransport, type Transporter } from 'nodemailer';
import { PermanentJobError } from '../errors.js';

/** One mail as the templates make it. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends mail; a failure throws (the `mail` job then retries with backoff). */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Mail over SMTP (SMTP_URL: smtp://user:pass@host:port, or smtps:// for TLS
 * from the first byte; smtp:// upgrades with STARTTLS when the server offers
 * it). The URL's password never reaches a log line.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = createTransport(smtpUrl, { from });
  }

  /**
   * A recipient the server refuses for good (550–553: no such mailbox, not
   * allowed) fails the job at once; anything else (server down, 4xx, a
   * refused login) is retried with backoff. nodemailer's messages name the
   * server and its answer, never the URL's credentials.
   */
  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 550 && code <= 553) throw new PermanentJobError(`SMTP server refused the recipient (${code})`, { cause: err });
      throw err;
    }
  }

  close(): void {
    this.transport.close();
  }
}
