// Test accounts shaped as the component sees them: camelCase fields, blank
// options undefined.
export function account(current = {}, attributes = {}, health = []) {
  return {
    id: 'acme',
    attributes: { labels: [], ...attributes },
    current: { asOf: 20454, metrics: [], ...current },
    history: [],
    health,
  };
}
