/** The Pulumi type token of one of this program's components (`svg-marketplace:infra:<Name>`). */
export function componentType(name: string): string {
  return `svg-marketplace:infra:${name}`;
}
