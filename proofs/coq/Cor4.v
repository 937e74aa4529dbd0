(* Corollary 4's constant chain (Sinha, Namkoong, Duchi, ICLR 2018, eq. (21)) for any number of
   layers, in Coq (issue 23.7).

   A network of L layers, layer l with Lipschitz constant A_l (its L^0), gradient-Lipschitz
   constant B_l (its L^1) and operator norm n_l, has the constants of the recursion
       alpha_l = A_l n_l alpha_{l-1},                      alpha_0 = 1,
       beta_l  = A_l n_l beta_{l-1} + B_l / A_l^2 * alpha_l^2,  beta_0 = 0,
   and the closed form (21) is  beta_L = alpha_L * sum_{l <= L} B_l / A_l^2 * alpha_l.
   The outline checks three layers (sinha.cor4.recursion); here it holds for every L.
   The list holds the layers last-first: (A_L, B_L, n_L) :: ... :: (A_1, B_1, n_1) :: nil. *)
From Coq Require Import Reals List Lra.
Import ListNotations.
Open Scope R_scope.

Fixpoint alpha (ls : list (R * R * R)) : R :=
  match ls with
  | [] => 1
  | (A, B, n) :: r => A * n * alpha r
  end.

Fixpoint beta (ls : list (R * R * R)) : R :=
  match ls with
  | [] => 0
  | (A, B, n) :: r => A * n * beta r + B / A ^ 2 * (A * n * alpha r) ^ 2
  end.

(* the sum in (21): sum over the layers of B_l / A_l^2 * alpha_l *)
Fixpoint chain_sum (ls : list (R * R * R)) : R :=
  match ls with
  | [] => 0
  | (A, B, n) :: r => chain_sum r + B / A ^ 2 * (A * n * alpha r)
  end.

Theorem cor4_closed_form : forall ls, beta ls = alpha ls * chain_sum ls.
Proof.
  induction ls as [|[[A B] n] r IH]; simpl.
  - ring.
  - rewrite IH. ring.
Qed.

(* The three layers of the outline's node sinha.cor4.recursion are one instance. *)
Corollary cor4_three_layers : forall A1 A2 A3 B1 B2 B3 n1 n2 n3 : R,
  beta [(A3, B3, n3); (A2, B2, n2); (A1, B1, n1)]
  = alpha [(A3, B3, n3); (A2, B2, n2); (A1, B1, n1)]
    * (B1 / A1 ^ 2 * (A1 * n1) + B2 / A2 ^ 2 * (A2 * n2 * (A1 * n1))
       + B3 / A3 ^ 2 * (A3 * n3 * (A2 * n2 * (A1 * n1)))).
Proof.
  intros. rewrite cor4_closed_form. simpl. ring.
Qed.


(* Corollary 4 itself, from the cited Proposition 5 (outline node cite.prop5, hence the Coq
   names cite__prop5 and cite__prop5__*, by checker's naming map).  A network is its list of
   layers (last first); lip and jac are the Lipschitz constants of the network's map and of its
   Jacobian.  Proposition 5, as cited: the empty network (the identity) has constants 1 and 0,
   a Lipschitz constant is nonnegative, and appending a layer with constants (A, B, n) obeys
   the recursion of (21).  Then jac <= beta = alpha * chain_sum for every depth, and with the
   softmax as a last layer (A, B, n) = (sqrt 2, 1, 1), as in Corollary 4,
   jac <= sqrt 2 * beta_L + alpha_L ^ 2.  The outline node sinha.cor4 names
   cor4_softmax in its coq_theorem. *)
Parameter cite__prop5__lip : list (R * R * R) -> R.
Parameter cite__prop5__jac : list (R * R * R) -> R.
Axiom cite__prop5 :
  cite__prop5__lip [] <= 1 /\ cite__prop5__jac [] <= 0 /\
  (forall ls, 0 <= cite__prop5__lip ls) /\
  (forall A B n ls, 0 < A -> 0 <= B -> 0 <= n ->
     cite__prop5__lip ((A, B, n) :: ls) <= A * n * cite__prop5__lip ls /\
     cite__prop5__jac ((A, B, n) :: ls)
       <= A * n * cite__prop5__jac ls + B / A ^ 2 * (A * n * cite__prop5__lip ls) ^ 2).

Definition layers_ok (ls : list (R * R * R)) : Prop :=
  Forall (fun '(A, B, n) => 0 < A /\ 0 <= B /\ 0 <= n) ls.

Lemma prop5_chain : forall ls, layers_ok ls ->
  cite__prop5__lip ls <= alpha ls /\ cite__prop5__jac ls <= beta ls.
Proof.
  destruct cite__prop5 as [L0 [J0 [Lpos Step]]].
  induction ls as [|[[A B] n] r IH]; intro H; cbn [alpha beta].
  - split; assumption.
  - inversion H as [|x y Hx Hr]; subst. simpl in Hx. destruct Hx as [HA [HB Hn]].
    destruct (IH Hr) as [IL IJ].
    destruct (Step A B n r HA HB Hn) as [SL SJ].
    pose proof (Lpos r) as P.
    assert (HAn : 0 <= A * n) by (apply Rmult_le_pos; lra).
    split.
    + apply Rle_trans with (A * n * cite__prop5__lip r); [exact SL|].
      apply Rmult_le_compat_l; assumption.
    + apply Rle_trans with (1 := SJ).
      apply Rplus_le_compat.
      * apply Rmult_le_compat_l; assumption.
      * apply Rmult_le_compat_l.
        -- apply Rmult_le_pos; [exact HB|]. left. apply Rinv_0_lt_compat. apply pow_lt. exact HA.
        -- apply pow_incr. split.
           ++ apply Rmult_le_pos; assumption.
           ++ apply Rmult_le_compat_l; assumption.
Qed.

Theorem cor4_depth : forall ls, layers_ok ls -> cite__prop5__jac ls <= alpha ls * chain_sum ls.
Proof. intros ls H. rewrite <- cor4_closed_form. apply prop5_chain, H. Qed.

Theorem cor4_softmax : forall ls, layers_ok ls ->
  cite__prop5__jac ((sqrt 2, 1, 1) :: ls) <= sqrt 2 * beta ls + alpha ls ^ 2.
Proof.
  intros ls H.
  assert (S2 : 0 < sqrt 2) by (apply sqrt_lt_R0; lra).
  assert (Hok : layers_ok ((sqrt 2, 1, 1) :: ls)) by (constructor; [lra | exact H]).
  destruct (prop5_chain _ Hok) as [_ J]. simpl in J.
  replace (sqrt 2 * beta ls + alpha ls ^ 2)
    with (sqrt 2 * 1 * beta ls + 1 / sqrt 2 ^ 2 * (sqrt 2 * 1 * alpha ls) ^ 2); [exact J|].
  assert (E : sqrt 2 ^ 2 = 2) by (simpl; rewrite Rmult_1_r; apply sqrt_sqrt; lra).
  assert (E1 : (sqrt 2 * 1 * alpha ls) ^ 2 = sqrt 2 ^ 2 * alpha ls ^ 2) by ring.
  rewrite E1, E. field.
Qed.

(* `checker audit` appends `Check` and `Print Assumptions` of the theorem its outline names. *)
