(* Sinha, Namkoong, Duchi (ICLR 2018), Lemma 1, in one dimension and then in R^n
   (lemma1n_value, below), in Coq with Coquelicot (issue 23.7).

   Lemma 1: if z |-> l(z) is L-smooth (its derivative is L-Lipschitz) and gamma > L, then
   z |-> l(z) - gamma c(z, z0), with c(z, z0) = (z - z0)^2, is (gamma - L)-strongly concave.
   Stated here for a differentiable l : R -> R with an L-Lipschitz derivative dl, in both
   first-order forms of strong concavity with modulus m = gamma - L (indeed 2 gamma - L):
     (monotone)  (f'(x) - f'(y)) (x - y) <= - m (x - y)^2,
     (value)     f(y) <= f(x) + f'(x) (y - x) - m/2 (y - x)^2.
   The value form uses the mean value theorem (Coquelicot's MVT_gen) twice: no axiom beyond
   Coq's real numbers, and L-smoothness enters as a hypothesis of the theorem. *)
From Coq Require Import Reals Lra Psatz.
Require Coq.Logic.FunctionalExtensionality.
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


(* ---------------------------------------------------------------------------------------------
   Lemma 1 in R^n (issue 23.7): the same statement for l : R^n -> R, with R^n as nat -> R read on
   its first n coordinates, the Euclidean inner product dot and squared norm nsq.  Hypotheses:
   g is the gradient of l (along every line x + t d the derivative of l is <g, d>), and g is
   L-Lipschitz, |g x - g y|^2 <= L^2 |x - y|^2 with L >= 0.  Conclusion, the value form of
   (2 gamma - L)-strong concavity of phi(z) = l(z) - gamma |z - z0|^2 (hence (gamma - L)-strong
   concavity when gamma >= 0):
       phi y <= phi x + <grad phi x, y - x> - (2 gamma - L)/2 |y - x|^2.
   The proof is the standard one: restrict to the segment from x to y, where the one-dimensional
   argument (value_of_monotone, by the mean value theorem) applies; Cauchy-Schwarz (dotn_cs, by
   induction on n) turns L-smoothness into the monotone form along the segment.  Rests on Coq's
   real-number axioms and functional extensionality only.  The outline node sinha.lemma1 names
   lemma1n_value in its coq_theorem.
   --------------------------------------------------------------------------------------------- *)

(* ---- R^n as nat -> R with the first n coordinates; the Euclidean inner product ---- *)
Fixpoint dotn (k : nat) (a b : nat -> R) : R :=
  match k with O => 0 | S k => dotn k a b + a k * b k end.

Lemma dotn_ext : forall k a a' b b', (forall i, a i = a' i) -> (forall i, b i = b' i) ->
  dotn k a b = dotn k a' b'.
Proof. induction k; intros; simpl; [reflexivity|]. rewrite (IHk a a' b b'), H, H0 by assumption. reflexivity. Qed.

Lemma dotn_sym : forall k a b, dotn k a b = dotn k b a.
Proof. induction k; intros; simpl; [reflexivity|]. rewrite IHk. ring. Qed.

Lemma dotn_comb : forall k a b c e, dotn k (fun i => a i + c * b i) e = dotn k a e + c * dotn k b e.
Proof. induction k; intros; simpl; [ring|]. rewrite IHk. ring. Qed.

Lemma dotn_sub : forall k a b e, dotn k (fun i => a i - b i) e = dotn k a e - dotn k b e.
Proof. induction k; intros; simpl; [ring|]. rewrite IHk. ring. Qed.

Lemma dotn_scal2 : forall k c a, dotn k (fun i => c * a i) (fun i => c * a i) = c ^ 2 * dotn k a a.
Proof. induction k; intros; simpl; [ring|]. rewrite IHk. ring. Qed.

Lemma dotn_quad : forall k a b s, dotn k (fun i => a i + s * b i) (fun i => a i + s * b i)
  = dotn k a a + 2 * s * dotn k a b + s ^ 2 * dotn k b b.
Proof. induction k; intros; simpl; [ring|]. rewrite IHk. ring. Qed.

Lemma dotn_pos : forall k a, 0 <= dotn k a a.
Proof. induction k; intros; simpl; [lra|]. pose proof (IHk a). nra. Qed.

(* Cauchy-Schwarz, by induction on the dimension *)
Lemma dotn_cs : forall k a b, dotn k a b ^ 2 <= dotn k a a * dotn k b b.
Proof.
  induction k; intros a b; simpl; [lra|].
  set (A := dotn k a a). set (B := dotn k b b). set (C := dotn k a b).
  assert (IH : C ^ 2 <= A * B) by apply IHk.
  assert (HA : 0 <= A) by apply dotn_pos. assert (HB : 0 <= B) by apply dotn_pos.
  set (x := a k). set (y := b k).
  assert (K : 2 * C * (x * y) <= A * y ^ 2 + B * x ^ 2).
  { destruct (Req_dec A 0) as [Z | Z].
    - assert (C = 0) by nra. subst C. rewrite H. nra.
    - assert (P : 0 < A) by lra.
      assert (E : A * (A * y ^ 2 + B * x ^ 2 - 2 * C * (x * y)) = (A * y - C * x) ^ 2 + (A * B - C ^ 2) * x ^ 2) by ring.
      assert (0 <= (A * y - C * x) ^ 2) by apply pow2_ge_0.
      assert (0 <= (A * B - C ^ 2) * x ^ 2) by (apply Rmult_le_pos; [lra | apply pow2_ge_0]).
      assert (0 <= A * (A * y ^ 2 + B * x ^ 2 - 2 * C * (x * y))) by lra.
      assert (0 <= A * y ^ 2 + B * x ^ 2 - 2 * C * (x * y)).
      { apply Rmult_le_reg_l with A; [exact P|]. lra. }
      lra. }
  nra.
Qed.

(* the one-dimensional core: the value form of strong concavity from the monotone form, by
   the mean value theorem (Coquelicot's MVT_gen) *)
Lemma value_of_monotone : forall (f df : R -> R) (m : R),
  (forall t, is_derive f t (df t)) ->
  (forall s t, (df s - df t) * (s - t) <= - m * (s - t) ^ 2) ->
  forall x y, f y <= f x + df x * (y - x) - m / 2 * (y - x) ^ 2.
Proof.
  intros f df m Df Mono x y.
  set (g := fun t => f t - df x * t + m / 2 * (t - x) ^ 2).
  set (dg := fun t => df t - df x + m * (t - x)).
  assert (Dg : forall t, is_derive g t (dg t)).
  { intro t. unfold g, dg.
    apply (is_derive_plus (fun t => f t - df x * t) (fun t => m / 2 * (t - x) ^ 2)).
    - apply (is_derive_minus f (fun t => df x * t)); [apply Df|].
      auto_derive; [exact I | ring].
    - auto_derive; [exact I | field]. }
  assert (Sign : forall t, dg t * (t - x) <= 0).
  { intro t. unfold dg. pose proof (Mono t x). nra. }
  assert (Cont : forall t, continuity_pt g t).
  { intro t. apply (continuity_pt_filterlim g t). apply (ex_derive_continuous g t). exists (dg t). apply Dg. }
  assert (G : g y <= g x).
  { destruct (Rle_or_lt x y) as [Hxy | Hxy].
    - destruct (Req_dec x y) as [E | E]; [subst; lra|].
      destruct (MVT_gen g x y dg) as [c [Hc Ec]].
      + intros t _. apply Dg.
      + intros t _. apply Cont.
      + rewrite Rmin_left, Rmax_right in Hc by lra.
        assert (dg c <= 0).
        { destruct Hc as [Hc1 Hc2]. pose proof (Sign c).
          destruct (Req_dec c x) as [Ec' | Ec']; [subst; unfold dg; lra|].
          apply Rmult_le_reg_r with (c - x); [lra|]. lra. }
        nra.
    - destruct (MVT_gen g y x dg) as [c [Hc Ec]].
      + intros t _. apply Dg.
      + intros t _. apply Cont.
      + rewrite Rmin_left, Rmax_right in Hc by lra.
        assert (0 <= dg c).
        { destruct Hc as [Hc1 Hc2]. pose proof (Sign c).
          destruct (Req_dec c x) as [Ec' | Ec']; [subst; unfold dg; lra|].
          apply Rmult_le_reg_r with (x - c); [lra|]. lra. }
        nra. }
  unfold g in G. replace ((x - x) ^ 2) with 0 in G by ring. lra.
Qed.

Section LemmaN.
Variable n : nat.
Definition dot (a b : nat -> R) : R := dotn n a b.
Definition nsq (a : nat -> R) : R := dotn n a a.          (* squared Euclidean norm *)
Definition vsub (a b : nat -> R) : nat -> R := fun i => a i - b i.
Definition vline (x d : nat -> R) (s : R) : nat -> R := fun i => x i + s * d i.

Variables (l : (nat -> R) -> R) (g : (nat -> R) -> (nat -> R)) (L gamma : R) (z0 : nat -> R).
(* g is the gradient of l: along every line, the derivative of l is <g, direction> *)
Hypothesis l_grad : forall x d s, is_derive (fun t => l (vline x d t)) s (dot (g (vline x d s)) d).
(* L-smoothness: the gradient is L-Lipschitz, |g x - g y| <= L |x - y| (squared) *)
Hypothesis smooth : forall x y, nsq (vsub (g x) (g y)) <= L ^ 2 * nsq (vsub x y).
Hypothesis L_nonneg : 0 <= L.

Definition phin (z : nat -> R) : R := l z - gamma * nsq (vsub z z0).
Definition gphin (z : nat -> R) : nat -> R := fun i => g z i - 2 * gamma * (z i - z0 i).

Theorem lemma1n_value : forall x y,
  phin y <= phin x + dot (gphin x) (vsub y x) - (2 * gamma - L) / 2 * nsq (vsub y x).
Proof.
  intros x y.
  set (d := vsub y x). set (D := nsq d). set (P := dot (vsub x z0) d). set (Q := nsq (vsub x z0)).
  assert (HD : 0 <= D) by apply dotn_pos.
  assert (Nq : forall s, nsq (vsub (vline x d s) z0) = Q + 2 * s * P + s ^ 2 * D).
  { intro s. unfold nsq.
    assert (X : forall i, vsub (vline x d s) z0 i = (fun i => (x i - z0 i) + s * d i) i).
    { intro i. unfold vsub, vline. simpl. ring. }
    rewrite (dotn_ext n _ _ _ _ X X). rewrite dotn_quad. reflexivity. }
  set (h := fun s => phin (vline x d s)).
  set (dh := fun s => dot (g (vline x d s)) d - gamma * (2 * P + 2 * s * D)).
  assert (Dh : forall s, is_derive h s (dh s)).
  { intro s. unfold h, dh.
    apply (is_derive_ext (fun t => l (vline x d t) - gamma * (Q + 2 * t * P + t ^ 2 * D))).
    { intro t. unfold phin. rewrite Nq. reflexivity. }
    apply (is_derive_minus (fun t => l (vline x d t)) (fun t => gamma * (Q + 2 * t * P + t ^ 2 * D))).
    - apply l_grad.
    - auto_derive; [exact I | ring]. }
  assert (Mono : forall s t, (dh s - dh t) * (s - t) <= - ((2 * gamma - L) * D) * (s - t) ^ 2).
  { intros s t. unfold dh.
    set (C := dot (g (vline x d s)) d - dot (g (vline x d t)) d).
    assert (EC : C = dot (vsub (g (vline x d s)) (g (vline x d t))) d)
      by (unfold C, dot, vsub; rewrite dotn_sub; reflexivity).
    assert (CS : C ^ 2 <= nsq (vsub (g (vline x d s)) (g (vline x d t))) * D)
      by (rewrite EC; apply dotn_cs).
    assert (Sm : nsq (vsub (g (vline x d s)) (g (vline x d t))) <= L ^ 2 * ((s - t) ^ 2 * D)).
    { replace ((s - t) ^ 2 * D) with (nsq (vsub (vline x d s) (vline x d t))).
      - apply smooth.
      - unfold nsq. rewrite (dotn_ext n _ (fun i => (s - t) * d i) _ (fun i => (s - t) * d i))
          by (intro i; unfold vsub, vline; ring).
        apply dotn_scal2. }
    assert (B : (C * (s - t)) ^ 2 <= (L * (s - t) ^ 2 * D) ^ 2).
    { replace ((C * (s - t)) ^ 2) with (C ^ 2 * (s - t) ^ 2) by ring.
      replace ((L * (s - t) ^ 2 * D) ^ 2) with ((L ^ 2 * ((s - t) ^ 2 * D) * D) * (s - t) ^ 2) by ring.
      apply Rmult_le_compat_r; [apply pow2_ge_0|].
      apply Rle_trans with (1 := CS). apply Rmult_le_compat_r; assumption. }
    assert (Pos : 0 <= L * (s - t) ^ 2 * D)
      by (apply Rmult_le_pos; [apply Rmult_le_pos; [exact L_nonneg | apply pow2_ge_0] | exact HD]).
    assert (Cst : C * (s - t) <= L * (s - t) ^ 2 * D).
    { assert (B' : Rsqr (C * (s - t)) <= Rsqr (L * (s - t) ^ 2 * D)) by (unfold Rsqr; nra).
      apply Rsqr_le_abs_0 in B'. rewrite (Rabs_right (L * (s - t) ^ 2 * D)) in B' by lra.
      pose proof (Rle_abs (C * (s - t))). lra. }
    assert (E : (C - gamma * (2 * P + 2 * s * D) + gamma * (2 * P + 2 * t * D)) * (s - t)
              = C * (s - t) - 2 * gamma * D * (s - t) ^ 2) by ring.
    replace ((dot (g (vline x d s)) d - gamma * (2 * P + 2 * s * D) - (dot (g (vline x d t)) d - gamma * (2 * P + 2 * t * D))) * (s - t))
      with (C * (s - t) - 2 * gamma * D * (s - t) ^ 2) by (unfold C; ring).
    lra. }
  pose proof (value_of_monotone h dh ((2 * gamma - L) * D) Dh Mono 0 1) as V.
  assert (E0 : vline x d 0 = x) by (apply FunctionalExtensionality.functional_extensionality; intro i; unfold vline; ring).
  assert (E1 : vline x d 1 = y) by (apply FunctionalExtensionality.functional_extensionality; intro i; unfold vline, d, vsub; ring).
  unfold h, dh in V. rewrite E0, E1 in V.
  assert (G : dot (gphin x) d = dot (g x) d - gamma * (2 * P)).
  { unfold dot, gphin, P.
    rewrite (dotn_ext n _ (fun i => g x i + (- (2 * gamma)) * (x i - z0 i)) d d) by (intro i; ring || reflexivity).
    rewrite dotn_comb. unfold dot. ring_simplify. reflexivity. }
  rewrite G. replace (nsq (vsub y x)) with D by reflexivity. fold d.
  replace (1 - 0) with 1 in V by ring. lra.
Qed.

End LemmaN.

(* `checker audit` appends `Check` and `Print Assumptions` of the theorem its outline names. *)
