import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError } from '../../src/errors.js';
import { SmtpMailer } from '../../src/notify/smtp-mailer.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const mail = (to: string) => ({ to, subject: '[Leasehold] 測試 / Test', text: '中文\n\n----\n\nEnglish', html: '<p>中文</p><hr><p>English</p>' });

/** The SMTP transport against a real SMTP server (smtp-server on loopback, AUTH required). */
describe('SMTP mailer', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink('leasehold', 'Sm7p-pass', ['nobody@school.test']);
  });
  afterAll(async () => {
    await sink?.close();
  });

  it('logs in with the credentials of SMTP_URL and delivers one message from MAIL_FROM, UTF-8 subject intact', async () => {
    const mailer = new SmtpMailer(sink.url, 'Leasehold <leasehold@school.test>');
    await mailer.send(mail('ann@school.test'));
    mailer.close();
    expect(sink.logins).toContain('leasehold');
    expect(sink.mails).toHaveLength(1);
    expect(sink.mails[0]).toMatchObject({ to: ['ann@school.test'], from: 'leasehold@school.test', subject: '[Leasehold] 測試 / Test' });
    expect(sink.mails[0]!.text).toContain('中文');
  });

  it('fails the job for good when the server refuses the recipient (550), and leaves a wrong password to the retries', async () => {
    const mailer = new SmtpMailer(sink.url, 'leasehold@school.test');
    await expect(mailer.send(mail('nobody@school.test'))).rejects.toBeInstanceOf(PermanentJobError);
    mailer.close();
    const wrong = new SmtpMailer(sink.url.replace('Sm7p-pass', 'wrong-pass'), 'leasehold@school.test');
    const err = await wrong.send(mail('ann@school.test')).catch((e: unknown) => e);
    wrong.close();
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentJobError);
    expect(String((err as Error).message)).not.toContain('wrong-pass');
  });
});
