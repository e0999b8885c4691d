import { createTransport, type Transporter } from 'nodemailer';

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

  /** nodemailer's errors name the server and its SMTP answer, never the URL's credentials; they are rethrown as they are. */
  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
  }

  close(): void {
    this.transport.close();
  }
}
