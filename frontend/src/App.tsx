import { Navigate, Route, Routes } from 'react-router';
import { AppStateProvider } from './shell/AppState';
import { Shell } from './shell/Shell';
import { homePath } from './shell/sections';
import { CredentialsPage } from './pages/CredentialsPage';
import { DeploymentsPage } from './pages/DeploymentsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SettingsPage } from './pages/SettingsPage';
import { TasksPage } from './pages/TasksPage';

/** The routes of the app; the caller provides the router and the backend. */
export function App() {
  return (
    <AppStateProvider>
      <Routes>
        <Route element={<Shell />}>
          <Route index element={<Navigate to={homePath} replace />} />
          <Route path="tasks/*" element={<TasksPage />} />
          <Route path="deployments" element={<DeploymentsPage />} />
          <Route path="credentials" element={<CredentialsPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </AppStateProvider>
  );
}
