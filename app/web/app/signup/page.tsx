import { AuthForm } from '../../components/AuthForm.tsx';

export const metadata = { title: 'Create an account' };

export default function SignUpPage() {
  return (
    <section className="narrow">
      <h1>Create an account</h1>
      <AuthForm mode="signup" />
    </section>
  );
}
