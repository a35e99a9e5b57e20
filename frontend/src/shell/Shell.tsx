import { useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import AppLayout from '@cloudscape-design/components/app-layout';
import BreadcrumbGroup, { type BreadcrumbGroupProps } from '@cloudscape-design/components/breadcrumb-group';
import Flashbar, { type FlashbarProps } from '@cloudscape-design/components/flashbar';
import SideNavigation, { type SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import logo from '../assets/logo.svg';
import { useAppState } from './AppState';
import { homePath, href, pathFromHref, sectionFor, sections } from './sections';

const appName = 'Transfer Hub';

const navItems: SideNavigationProps.Item[] = [
  ...sections
    .filter((s) => s.id !== 'settings')
    .map((s): SideNavigationProps.Item => ({ type: 'link', text: s.title, href: href(s.path) })),
  { type: 'divider' },
  { type: 'link', text: 'Settings', href: href('/settings') },
];

export function Shell() {
  const { info, infoError, settingsError } = useAppState();
  const location = useLocation();
  const navigate = useNavigate();
  const [navOpen, setNavOpen] = useState(true);
  const [dismissed, setDismissed] = useState<string[]>([]);

  const section = sectionFor(location.pathname);
  const activeHref = section ? href(section.path) : '';

  // Keep navigation inside the router (also under a MemoryRouter in tests).
  const follow = (e: CustomEvent<{ href?: string; external?: boolean }>) => {
    const target = e.detail.href;
    if (!target || e.detail.external) return;
    e.preventDefault();
    void navigate(pathFromHref(target));
  };

  const breadcrumbs: BreadcrumbGroupProps.Item[] = [{ text: appName, href: href(homePath) }];
  if (section) breadcrumbs.push({ text: section.title, href: href(section.path) });

  const flashes: FlashbarProps.MessageDefinition[] = [];
  const backendErrors = [
    infoError && `Could not read the app version: ${infoError}`,
    settingsError && `Could not load your settings: ${settingsError}`,
  ].filter((m): m is string => Boolean(m));
  for (const msg of backendErrors) {
    if (dismissed.includes(msg)) continue;
    flashes.push({
      id: msg,
      type: 'error',
      header: 'The Transfer Hub backend did not answer',
      content: msg,
      dismissible: true,
      onDismiss: () => {
        setDismissed((d) => [...d, msg]);
      },
    });
  }

  const versionText = info ? `Version ${info.version}` : 'Version …';

  return (
    <>
      <div id="th-top-nav" style={{ position: 'sticky', top: 0, zIndex: 1002 }}>
        <TopNavigation
          identity={{ href: href('/'), title: appName, logo: { src: logo, alt: '' }, onFollow: follow }}
          utilities={[
            {
              type: 'button',
              text: versionText,
              title: info ? `${appName} ${info.version} (${info.platform})` : undefined,
              ariaLabel: versionText,
              href: href('/settings'),
              onClick: (e) => {
                e.preventDefault();
                void navigate('/settings');
              },
            },
            {
              type: 'button',
              iconName: 'settings',
              ariaLabel: 'Settings',
              title: 'Settings',
              href: href('/settings'),
              onClick: (e) => {
                e.preventDefault();
                void navigate('/settings');
              },
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#th-top-nav"
        toolsHide
        ariaLabels={{
          navigation: 'Side navigation',
          navigationClose: 'Close side navigation',
          navigationToggle: 'Open side navigation',
          notifications: 'Notifications',
        }}
        navigationOpen={navOpen}
        onNavigationChange={(e) => {
          setNavOpen(e.detail.open);
        }}
        navigation={
          <SideNavigation
            header={{ text: appName, href: href('/') }}
            activeHref={activeHref}
            items={navItems}
            onFollow={follow}
          />
        }
        breadcrumbs={<BreadcrumbGroup items={breadcrumbs} ariaLabel="Breadcrumbs" onFollow={follow} />}
        notifications={flashes.length > 0 ? <Flashbar items={flashes} /> : undefined}
        content={<Outlet />}
      />
    </>
  );
}
