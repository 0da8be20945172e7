/**
 * What routes use to mail people: builds links on the marketplace's configured origin (a request's Host
 * could be an attacker's, and the link would then lead there) and sends without failing the request: a
 * sign-up must answer the same whether or not its mail went out, and a lost mail is logged for operators.
 */
import type { Logger } from 'pino';
import type { Mail, MailSender } from './sender.ts';

export interface MailSettings {
  sender: MailSender;
  /** The storefront's origin, e.g. `https://marketplace.example`, for the links in mails. */
  linkOrigin: string;
}

export class Mailer {
  constructor(
    private readonly settings: MailSettings | undefined,
    private readonly logger: Logger,
  ) {}

  /** Whether mail goes out at all (without a sender no address can ever be verified). */
  get sends(): boolean {
    return this.settings !== undefined;
  }

  /** An absolute link to a storefront path, e.g. `/verify-email?token=…`. */
  link(pathAndQuery: string): string {
    return new URL(pathAndQuery, this.settings?.linkOrigin ?? 'http://localhost').toString();
  }

  async send(mail: Mail): Promise<void> {
    if (!this.settings) {
      this.logger.warn({ subject: mail.subject }, 'no mail sender is configured: a mail was not sent');
      return;
    }
    try {
      await this.settings.sender.send(mail);
    } catch (error) {
      this.logger.error({ err: error, subject: mail.subject }, 'sending a mail failed');
    }
  }
}
