// Maps the automatic JSX runtime onto React.createElement of the React that Grafana provides,
// so no copy of React internals is bundled (works with React 18 and 19).
import * as React from 'react';

export const Fragment = React.Fragment;

export function jsx(type, props, key) {
  return React.createElement(type, key === undefined ? props : { ...props, key });
}

export const jsxs = jsx;
export const jsxDEV = jsx;
