/** The viewer: header navigation and the page of the current hash route. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { adoptTokenFromFragment, currentToken, setToken } from './auth';
import { ConversationPage } from './pages/Conversation';
import { CostPage } from './pages/Cost';
import { SessionsPage } from './pages/Sessions';
import { useRoute } from './router';
import './styles.css';

adoptTokenFromFragment();

function TokenForm() {
  const [value, setValue] = useState('');
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() !== '') {
          setToken(value.trim());
          location.reload();
        }
      }}
    >
      <label for="token">Bearer token of this server</label>
      <input
        id="token"
        type="password"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Use token</button>
    </form>
  );
}

function App() {
  const route = useRoute();
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">ChannelCoder</span>
        <nav aria-label="Pages">
          <a href="#/" aria-current={route.page === 'sessions' ? 'page' : undefined}>
            Sessions
          </a>
          <a href="#/cost" aria-current={route.page === 'cost' ? 'page' : undefined}>
            Cost
          </a>
        </nav>
        {currentToken() === null && (
          <details class="token-box">
            <summary>Token</summary>
            <TokenForm />
          </details>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'sessions' && <SessionsPage />}
        {route.page === 'conversation' && <ConversationPage name={route.name} />}
        {route.page === 'cost' && <CostPage />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
