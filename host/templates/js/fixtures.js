// Test accounts shaped as ../src/vitals.js presents a batch's accounts:
// camelCase fields, blanks undefined, metrics an object name -> value.
export function account(current = {}, attributes = {}, health = [], history = []) {
  return {
    id: 'acme',
    attributes: { labels: [], ...attributes },
    current: { asOf: 20454, metrics: {}, ...current },
    history,
    health,
  };
}
