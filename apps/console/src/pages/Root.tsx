import { useSession } from '../api/hooks';
import { ApiError } from '../api/http';
import { Layout } from '../components/Layout';
import { SignInPage } from './SignInPage';

/** Signed in: the console; otherwise the sign-in page (with the API's reason when it is not a plain 401). */
export function Root() {
  const session = useSession();
  if (session.isPending) return <p className="empty">Loading…</p>;
  if (session.error || !session.data) {
    const unauthenticated = session.error instanceof ApiError && session.error.status === 401;
    return <SignInPage problem={unauthenticated ? undefined : session.error} />;
  }
  return <Layout session={session.data} />;
}
