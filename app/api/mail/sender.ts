/**
 * Sends the API's e-mails (verification links, account notices) through Amazon SES (v2 `SendEmail`). In AWS
 * the client finds SES in its region with the task's role; locally and in tests `endpoint` points at the
 * SES stand-in (scripts/local/ses-standin.ts), which speaks the same API and shows what was sent.
 */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';

export interface Mail {
  to: string;
  subject: string;
  /** Plain text only: no HTML that a mail client could render differently from what was meant. */
  text: string;
}

export interface MailSender {
  send(mail: Mail): Promise<void>;
  close(): void;
}

export interface SesSenderOptions {
  /** The verified SES identity mails come from, e.g. `Marketplace <no-reply@marketplace.example>`. */
  from: string;
  region: string;
  /** Another SES endpoint (the local stand-in); unset in AWS. */
  endpoint?: string;
  /** Static credentials for a stand-in; in AWS the default provider chain (the task role) is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class SesSender implements MailSender {
  readonly #client: SESv2Client;
  readonly #from: string;

  constructor(options: SesSenderOptions) {
    this.#from = options.from;
    this.#client = new SESv2Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 3,
    });
  }

  async send(mail: Mail): Promise<void> {
    await this.#client.send(
      new SendEmailCommand({
        FromEmailAddress: this.#from,
        Destination: { ToAddresses: [mail.to] },
        Content: {
          Simple: {
            Subject: { Data: mail.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: mail.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }

  close(): void {
    this.#client.destroy();
  }
}
