import type { ProductSummary } from './api-types.ts';

export function formatPrice(price: ProductSummary['price']): string {
  if (!price || price.amount === 0) return 'Free';
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: price.currency }).format(price.amount / 100);
}

export const LICENSE_LABELS: Record<ProductSummary['license'], string> = {
  free: 'Free licence',
  standard: 'Standard licence',
  extended: 'Extended licence',
};

export const KIND_LABELS: Record<ProductSummary['kind'], string> = {
  'icon-set': 'Icon set',
  'illustration-set': 'Illustration set',
};

export function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}
