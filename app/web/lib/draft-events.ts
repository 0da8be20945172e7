/**
 * Live draft status: the API's server-sent events when they work, polling when they do not (a proxy
 * that buffers, a browser without EventSource). Either way the callback sees every state until a
 * terminal one, then the watch stops by itself.
 */
import { draftSchema, responses, type Draft } from './api-types.ts';
import { apiRequest } from './client-api.ts';

const TERMINAL = new Set<Draft['state']>(['rejected', 'ready', 'failed']);
const POLL_INTERVAL_MS = 1500;

export function isTerminal(state: Draft['state']): boolean {
  return TERMINAL.has(state);
}

/** Returns a function that stops watching. */
export function watchDraft(draftId: string, onDraft: (draft: Draft) => void, onError: (message: string) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const path = `/api/drafts/${encodeURIComponent(draftId)}`;

  const deliver = (draft: Draft) => {
    if (stopped) return;
    onDraft(draft);
    if (isTerminal(draft.state)) stop();
  };

  const poll = async () => {
    if (stopped) return;
    try {
      deliver((await apiRequest('GET', path, responses.draft)).draft);
    } catch {
      onError('Lost contact with the server; still trying…');
    }
    if (!stopped) timer = setTimeout(poll, POLL_INTERVAL_MS);
  };

  let source: EventSource | undefined;
  if (typeof EventSource === 'function') {
    source = new EventSource(`${path}/events`);
    source.addEventListener('draft', (event) => {
      const parsed = draftSchema.safeParse(JSON.parse((event as MessageEvent<string>).data));
      if (parsed.success) deliver(parsed.data);
    });
    source.addEventListener('error', () => {
      // The stream ends after a terminal state; any other end falls back to polling.
      source?.close();
      source = undefined;
      if (!stopped) void poll();
    });
  } else void poll();

  function stop() {
    stopped = true;
    source?.close();
    if (timer) clearTimeout(timer);
  }
  return stop;
}
