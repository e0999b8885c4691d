import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { I18nProvider } from './i18n/i18n';
import { match, RouterProvider } from './router';
import { PickupScreen } from './screens/pickup.screen';
import { SessionProvider } from './session';
import './styles.css';

// The vendor's pickup page (/pickup/<token>) is public: no staff session is looked for, no cookie is sent.
const pickup = match('/pickup/:token', window.location.pathname);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      {pickup ? (
        <PickupScreen token={pickup.token!} />
      ) : (
        <RouterProvider>
          <SessionProvider>
            <App />
          </SessionProvider>
        </RouterProvider>
      )}
    </I18nProvider>
  </StrictMode>,
);
