/** The cart lives in the browser (localStorage): set ids with what to show; prices are the API's at checkout. */
export interface CartItem {
  productId: string;
  title: string;
  price: string;
}

const KEY = 'vectorly.cart';

export function readCart(): CartItem[] {
  try {
    const items = JSON.parse(window.localStorage.getItem(KEY) ?? '[]') as CartItem[];
    return Array.isArray(items) ? items.filter((item) => typeof item.productId === 'string') : [];
  } catch {
    return [];
  }
}

export function writeCart(items: CartItem[]): void {
  window.localStorage.setItem(KEY, JSON.stringify(items));
}

export function addToCart(item: CartItem): void {
  const items = readCart().filter((existing) => existing.productId !== item.productId);
  writeCart([...items, item]);
}
