(* Sinha, Namkoong, Duchi (ICLR 2018), Lemma 1, in one dimension, in Coq with Coquelicot
   (issue 23.7).

   Lemma 1: if z |-> l(z) is L-smooth (its derivative is L-Lipschitz) and gamma > L, then
   z |-> l(z) - gamma c(z, z0), with c(z, z0) = (z - z0)^2, is (gamma - L)-strongly concave.
   Stated here for a differentiable l : R -> R with an L-Lipschitz derivative dl, in both
   first-order forms of strong concavity with modulus m = gamma - L (indeed 2 gamma - L):
     (monotone)  (f'(x) - f'(y)) (x - y) <= - m (x - y)^2,
     (value)     f(y) <= f(x) + f'(x) (y - x) - m/2 (y - x)^2.
   The value form uses the mean value theorem (Coquelicot's MVT_gen) twice: no axiom beyond
   Coq's real numbers, and L-smoothness enters as a hypothesis of the theorem. *)
From Coq Require Import Reals Lra Psatz.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Section Lemma1.
Variables (l dl : R -> R) (L gamma z0 : R).
Hypothesis l_derive : forall z, is_derive l z (dl z).
Hypothesis smooth : forall x y, Rabs (dl x - dl y) <= L * Rabs (x - y).
Hypothesis gamma_pos : 0 <= gamma.

Definition phi (z : R) : R := l z - gamma * (z - z0) ^ 2.
Definition dphi (z : R) : R := dl z - 2 * gamma * (z - z0).

Lemma phi_derive : forall z, is_derive phi z (dphi z).
Proof.
  intro z. unfold phi, dphi.
  apply (is_derive_minus l (fun z => gamma * (z - z0) ^ 2)); [apply l_derive|].
  auto_derive; [exact I | ring].
Qed.

Theorem lemma1_monotone : forall x y, (dphi x - dphi y) * (x - y) <= - (2 * gamma - L) * (x - y) ^ 2.
Proof.
  intros x y. unfold dphi.
  assert (A1 : (dl x - dl y) * (x - y) <= Rabs (dl x - dl y) * Rabs (x - y))
    by (rewrite <- Rabs_mult; apply RRle_abs).
  assert (A2 : Rabs (dl x - dl y) * Rabs (x - y) <= L * Rabs (x - y) * Rabs (x - y))
    by (apply Rmult_le_compat_r; [apply Rabs_pos | apply smooth]).
  assert (A3 : Rabs (x - y) * Rabs (x - y) = (x - y) ^ 2) by (rewrite <- pow2_abs; ring).
  assert (A4 : L * Rabs (x - y) * Rabs (x - y) = L * (x - y) ^ 2) by (rewrite Rmult_assoc, A3; ring).
  lra.
Qed.

Corollary lemma1_strongly_concave_monotone :
  forall x y, (dphi x - dphi y) * (x - y) <= - (gamma - L) * (x - y) ^ 2.
Proof.
  intros x y. pose proof (lemma1_monotone x y). pose proof (pow2_ge_0 (x - y)). nra.
Qed.

(* the value form, from the monotone form and the mean value theorem *)
Theorem lemma1_value : forall x y,
  phi y <= phi x + dphi x * (y - x) - (2 * gamma - L) / 2 * (y - x) ^ 2.
Proof.
  intros x y.
  (* g(t) = phi t - dphi x * t + (2 gamma - L)/2 * (t - x)^2 has g' (t) = dphi t - dphi x + (2 gamma - L)(t - x),
     which is <= 0 for t >= x and >= 0 for t <= x; so g(y) <= g(x) on both sides *)
  set (m := 2 * gamma - L).
  set (g := fun t => phi t - dphi x * t + m / 2 * (t - x) ^ 2).
  set (dg := fun t => dphi t - dphi x + m * (t - x)).
  assert (Dg : forall t, is_derive g t (dg t)).
  { intro t. unfold g, dg.
    apply (is_derive_plus (fun t => phi t - dphi x * t) (fun t => m / 2 * (t - x) ^ 2)).
    - apply (is_derive_minus phi (fun t => dphi x * t)); [apply phi_derive|].
      auto_derive; [exact I | ring].
    - auto_derive; [exact I | field]. }
  assert (Sign : forall t, dg t * (t - x) <= 0).
  { intro t. unfold dg. pose proof (lemma1_monotone t x). unfold m. nra. }
  assert (G : g y <= g x).
  { destruct (Rle_or_lt x y) as [Hxy | Hxy].
    - destruct (Req_dec x y) as [E | E]; [subst; lra|].
      destruct (MVT_gen g x y dg) as [c [Hc Ec]].
      + intros t _. apply Dg.
      + intros t _. apply (continuity_pt_filterlim g t). apply (ex_derive_continuous g t). exists (dg t). apply Dg.
      + rewrite Rmin_left, Rmax_right in Hc by lra.
        assert (dg c <= 0).
        { destruct Hc as [Hc1 Hc2]. pose proof (Sign c).
          destruct (Req_dec c x) as [Ec' | Ec']; [subst; unfold dg; lra|].
          apply Rmult_le_reg_r with (c - x); [lra|]. lra. }
        nra.
    - destruct (MVT_gen g y x dg) as [c [Hc Ec]].
      + intros t _. apply Dg.
      + intros t _. apply (continuity_pt_filterlim g t). apply (ex_derive_continuous g t). exists (dg t). apply Dg.
      + rewrite Rmin_left, Rmax_right in Hc by lra.
        assert (0 <= dg c).
        { destruct Hc as [Hc1 Hc2]. pose proof (Sign c).
          destruct (Req_dec c x) as [Ec' | Ec']; [subst; unfold dg; lra|].
          apply Rmult_le_reg_r with (x - c); [lra|]. lra. }
        nra. }
  unfold g in G. replace ((x - x) ^ 2) with 0 in G by ring.
  replace ((y - x) ^ 2) with ((y - x) ^ 2) by ring. nra.
Qed.

End Lemma1.

Print Assumptions lemma1_value.
Print Assumptions lemma1_strongly_concave_monotone.
