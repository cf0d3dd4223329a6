import { type FormEvent, useState } from 'react';
import { useSignIn } from '../api/hooks';
import { actingTenant } from '../api/http';
import { ErrorNote } from '../components/ErrorNote';

export function SignInPage({ problem }: { problem?: unknown }) {
  const [key, setKey] = useState('');
  const signIn = useSignIn();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    actingTenant.set(null);
    signIn.mutate(key.trim());
  };
  return (
    <div className="sign-in">
      <form onSubmit={submit}>
        <h1>Conveyor console</h1>
        <p>Sign in with a tenant API key, or an admin key. The key is exchanged for a short session cookie and not kept by the page.</p>
        <label>
          API key
          <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} autoFocus />
        </label>
        <button type="submit" disabled={!key.trim() || signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorNote error={signIn.error ?? problem} />
      </form>
    </div>
  );
}
