/**
 * The local stand-in for the deploy's login step: after the migrations, every component gets its login user
 * (`<component>_login`, a member of its group from migration 0037) through the same `ensureComponentLogin` the
 * deploy runs, with a password made for this start. The local functions and API then connect as those users,
 * as deployed, so a statement a component's grants do not cover fails here first.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { COMPONENTS, componentLoginUser, ensureComponentLogin, type Component } from '../../core/catalog/component-logins.ts';

/** Each component's connection string: the master URL with the component's user and password. */
export type ComponentUrls = Record<Component, string>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function ensureLocalComponentLogins(master: Kysely<any>, masterUrl: string): Promise<ComponentUrls> {
  const urls = {} as ComponentUrls;
  for (const component of COMPONENTS) {
    const user = componentLoginUser(component);
    // A new password on every start: a persistent cluster (npm start) rotates, as a redeploy with a new keeper does.
    const password = randomBytes(24).toString('hex');
    await ensureComponentLogin(master, { component, user, password });
    const url = new URL(masterUrl);
    url.username = user;
    url.password = password;
    urls[component] = url.toString();
  }
  return urls;
}
