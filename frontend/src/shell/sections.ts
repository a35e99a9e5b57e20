// The app's top-level sections: one list drives the side navigation, the routes'
// breadcrumbs and the default page.

export interface Section {
  id: string;
  title: string;
  path: string;
}

export const sections = [
  { id: 'tasks', title: 'Tasks', path: '/tasks' },
  { id: 'deployments', title: 'Deployments', path: '/deployments' },
  { id: 'credentials', title: 'Credentials', path: '/credentials' },
  { id: 'settings', title: 'Settings', path: '/settings' },
] as const satisfies readonly Section[];

export const homePath = '/tasks';

/** The section a router path belongs to ("/tasks/abc" -> Tasks), or undefined. */
export function sectionFor(pathname: string): Section | undefined {
  return sections.find((s) => pathname === s.path || pathname.startsWith(s.path + '/'));
}

/** Hash-router href for a path, so links also work when opened directly. */
export function href(path: string): string {
  return '#' + path;
}

/** Router path for an href produced by href(). */
export function pathFromHref(h: string): string {
  return h.startsWith('#') ? h.slice(1) : h;
}
