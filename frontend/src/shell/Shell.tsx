import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
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

/**
 * navigate() that keeps its identity across routes: the router's changes on every
 * navigation, which would make every part of the shell that uses it render again.
 */
function useStableNavigate(): (path: string) => void {
  const navigate = useNavigate();
  const latest = useRef(navigate);
  useLayoutEffect(() => {
    latest.current = navigate;
  });
  return useCallback((path: string) => {
    void latest.current(path);
  }, []);
}

/** Cloudscape's mobile breakpoint: AppLayout closes the side navigation below it. */
const narrowQuery = '(max-width: 688px)';

function isNarrow(): boolean {
  return typeof window.matchMedia === 'function' ? window.matchMedia(narrowQuery).matches : window.innerWidth <= 688;
}

/**
 * Whether the window is as narrow as Cloudscape's mobile layout. It changes on the same
 * resize events AppLayout's own check listens to, so both change in one render.
 */
function useNarrowWindow(): boolean {
  const [narrow, setNarrow] = useState(isNarrow);
  useEffect(() => {
    const onResize = () => {
      setNarrow(isNarrow());
    };
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
    };
  }, []);
  return narrow;
}

export function Shell() {
  const { info, infoError, settingsError } = useAppState();
  const location = useLocation();
  const go = useStableNavigate();
  // AppLayout closes the navigation whenever the window gets as narrow as a phone. That
  // close is kept apart from the user's choice on a wide window, which comes back when the
  // window is wide again: a window that is narrow for a moment (while it is mapped, or
  // while a test takes a full-page screenshot, which resizes it to 1x1) no longer loses
  // its navigation for good.
  const narrow = useNarrowWindow();
  const [wideNavOpen, setWideNavOpen] = useState(true);
  const [narrowNavOpen, setNarrowNavOpen] = useState(false);
  const [dismissed, setDismissed] = useState<string[]>([]);

  const section = sectionFor(location.pathname);
  const activeHref = section ? href(section.path) : '';

  // Keep navigation inside the router (also under a MemoryRouter in tests).
  const follow = useCallback(
    (e: CustomEvent<{ href?: string; external?: boolean }>) => {
      const target = e.detail.href;
      if (!target || e.detail.external) return;
      e.preventDefault();
      go(pathFromHref(target));
    },
    [go],
  );

  // The top bar, the side navigation and the breadcrumbs are the same elements from one
  // route to the next within a section: opening a page does not render (and re-measure)
  // them again.
  const versionText = info ? `Version ${info.version}` : 'Version …';
  const topNavigation = useMemo(
    () => (
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
              go('/settings');
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
              go('/settings');
            },
          },
        ]}
      />
    ),
    [info, versionText, follow, go],
  );
  const navigation = useMemo(
    () => <SideNavigation header={{ text: appName, href: href('/') }} activeHref={activeHref} items={navItems} onFollow={follow} />,
    [activeHref, follow],
  );
  const breadcrumbs = useMemo(() => {
    const items: BreadcrumbGroupProps.Item[] = [{ text: appName, href: href(homePath) }];
    if (section) items.push({ text: section.title, href: href(section.path) });
    return <BreadcrumbGroup items={items} ariaLabel="Breadcrumbs" onFollow={follow} />;
  }, [section, follow]);

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

  return (
    <>
      <div id="th-top-nav" style={{ position: 'sticky', top: 0, zIndex: 1002 }}>
        {topNavigation}
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
        navigationOpen={narrow ? narrowNavOpen : wideNavOpen}
        onNavigationChange={(e) => {
          (narrow ? setNarrowNavOpen : setWideNavOpen)(e.detail.open);
        }}
        navigation={navigation}
        breadcrumbs={breadcrumbs}
        notifications={flashes.length > 0 ? <Flashbar items={flashes} /> : undefined}
        content={<Outlet />}
      />
    </>
  );
}
