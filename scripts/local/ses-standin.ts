/**
 * A stand-in for Amazon SES (v2), for `npm start` and tests (AWS cannot be reached from here). It answers
 * `SendEmail` (`POST /v2/email/outbound-emails`, the JSON shape @aws-sdk/client-sesv2 sends) as SES does,
 * keeps what was sent in memory, and shows it as the local outbox: `GET /_local/outbox` (a page listing each
 * mail with its links; the front door serves it on the marketplace's origin) and `/_local/outbox.json`.
 * The API therefore runs production's code path (app/api/mail/sender.ts) everywhere; only the endpoint differs.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export interface SentMail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** Every http(s) URL in the text, in order: what a person would click. */
  links: string[];
  sentAt: string;
}

export interface SesStandIn {
  url: string;
  /** Newest last. */
  readonly mails: SentMail[];
  close(): Promise<void>;
}

const content = z.object({ Data: z.string(), Charset: z.string().optional() });
/** The parts of SESv2 SendEmailRequest the marketplace uses; anything else SES would accept is refused here. */
const sendEmailRequest = z.object({
  FromEmailAddress: z.string().min(3),
  Destination: z.object({
    ToAddresses: z.array(z.string().email()).min(1).max(50),
    CcAddresses: z.array(z.string()).optional(),
    BccAddresses: z.array(z.string()).optional(),
  }),
  Content: z.object({
    Simple: z.object({ Subject: content, Body: z.object({ Text: content.optional(), Html: content.optional() }) }),
  }),
});

/** Keeps the newest mails only: a long `npm start` session does not grow without end. */
const KEEP = 200;

export async function startSesStandIn(options: { host?: string; port?: number } = {}): Promise<SesStandIn> {
  const mails: SentMail[] = [];
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: Error) => send(res, 500, 'application/json', JSON.stringify({ message: error.message })));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v2/email/outbound-emails') {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return awsError(res, 'BadRequestException', 'The body is not JSON.');
      }
      const parsed = sendEmailRequest.safeParse(json);
      if (!parsed.success) return awsError(res, 'BadRequestException', z.prettifyError(parsed.error));
      const { FromEmailAddress, Destination, Content } = parsed.data;
      const text = Content.Simple.Body.Text?.Data ?? Content.Simple.Body.Html?.Data ?? '';
      const mail: SentMail = {
        messageId: randomUUID(),
        from: FromEmailAddress,
        to: Destination.ToAddresses,
        subject: Content.Simple.Subject.Data,
        text,
        links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [],
        sentAt: new Date().toISOString(),
      };
      mails.push(mail);
      if (mails.length > KEEP) mails.splice(0, mails.length - KEEP);
      return send(res, 200, 'application/json', JSON.stringify({ MessageId: mail.messageId }));
    }
    if (req.method === 'GET' && path === '/_local/outbox.json') {
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ mails: [...mails].reverse() }, null, 2));
    }
    if (req.method === 'GET' && path === '/_local/outbox') return send(res, 200, 'text/html; charset=utf-8', outboxPage(mails));
    return awsError(res, 'NotFoundException', `No such operation: ${req.method} ${path}`, 404);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mails,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** SES's error shape: the SDK reads the type from `x-amzn-ErrorType` and the message from the body. */
function awsError(res: http.ServerResponse, type: string, message: string, status = 400): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ message }));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function outboxPage(mails: SentMail[]): string {
  const items = [...mails]
    .reverse()
    .map((mail) => {
      // Links in the text become clickable; everything else stays text.
      const body = escapeHtml(mail.text).replace(/https?:\/\/[^\s<>"&]+(?:&amp;[^\s<>"&]+)*/g, (url) => `<a href="${url}">${url}</a>`);
      return (
        `<article><h2>${escapeHtml(mail.subject)}</h2>` +
        `<p>To <strong>${escapeHtml(mail.to.join(', '))}</strong> from ${escapeHtml(mail.from)}, <time>${mail.sentAt}</time></p>` +
        `<pre>${body}</pre></article>`
      );
    })
    .join('');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local outbox</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}article{border-top:1px solid #ccc;padding:.5rem 0}pre{white-space:pre-wrap}</style>` +
    `</head><body><main><h1>Local outbox</h1><p>Mails the marketplace sent on this machine (nothing leaves it), newest first.</p>` +
    (items || '<p>No mail yet.</p>') +
    `</main></body></html>`
  );
}
