import '@cloudscape-design/global-styles/index.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { HashRouter } from 'react-router';
import { App } from './App';
import { BackendProvider } from './api/BackendContext';
import { wailsBackend } from './api/wails';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <BackendProvider backend={wailsBackend}>
      <HashRouter>
        <App />
      </HashRouter>
    </BackendProvider>
  </StrictMode>,
);
