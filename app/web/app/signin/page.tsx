import { AuthForm } from '../../components/AuthForm.tsx';

export const metadata = { title: 'Sign in' };

export default function SignInPage() {
  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <AuthForm mode="signin" />
    </section>
  );
}
