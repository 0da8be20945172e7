import { VerifyEmail } from '../../components/VerifyEmail.tsx';

export const metadata = { title: 'Confirm your e-mail address' };

export default function VerifyEmailPage() {
  return (
    <section className="narrow">
      <h1>Confirm your e-mail address</h1>
      <VerifyEmail />
    </section>
  );
}
