(* The birthday bound stated for real in Coq (issue 23.7), for every N and M, not only a box.

   birthday.exp_bound in proofs/birthday.toml says, for integers 1 <= M <= N,
       Product(1 - i/N, i, 1, M - 1) <= exp(-M*(M - 1)/(2*N)),
   and the audit checks it only by sampling.  Here it is proved: each factor 1 - i/N lies in
   [0, exp(-i/N)] (1 + x <= exp x, Coq's exp_ineq1_le), the product of the bounds is the exp of
   the sum, and sum_{i=1}^{M-1} i = M(M-1)/2.  The statement below is, word for word, the
   translator's statement of that node (checker.audit.kernel.translate).

   The link to probability is the cited counting fact (cite.counting: the no-collision
   probability of M uniform samples on N items is that product), taken here as the named
   axiom `cite__counting` (the outline node cite.counting, by checker's naming map: `.` becomes
   `__`), about the probability `cite__counting__no_collision` it speaks of; `Print
   Assumptions` at the end shows these two, and nothing else of ours.  The outline node
   birthday.support_test names `birthday_collision_exp_bound` in its coq_theorem, so
   `checker audit` compiles this file and compares its assumptions with [cite.counting]. *)
Require Import CheckerPrelude.
From Coq Require Import Reals Lra Psatz Lia ZArith.
From Interval Require Import Tactic.
Open Scope R_scope.

(* the product over i = 1 .. n+1, as ck_prod computes it *)
Lemma prod_bound : forall (N : R) (n : nat), INR n + 2 <= N ->
  0 <= ck_prod_nat (fun k => 1 - IZR (1 + Z.of_nat k) / N) n
  /\ ck_prod_nat (fun k => 1 - IZR (1 + Z.of_nat k) / N) n <= exp (- (INR n + 1) * (INR n + 2) / (2 * N)).
Proof.
  intros N n. induction n as [|n IH]; intros HN.
  - simpl in *. assert (HN0 : 0 < N) by lra.
    split.
    + assert (Q : 1 / N <= 1).
      { apply Rmult_le_reg_r with N; [exact HN0|].
        unfold Rdiv. rewrite Rmult_assoc, Rinv_l, Rmult_1_r, Rmult_1_l; lra. }
      lra.
    + replace (- (0 + 1) * (0 + 2) / (2 * N)) with (- (1 / N)) by (field; lra).
      pose proof (exp_ineq1_le (- (1 / N))). lra.
  - rewrite S_INR in *.
    assert (HN0 : 0 < N) by (pose proof (pos_INR n); lra).
    destruct (IH ltac:(lra)) as [P0 P1].
    cbn [ck_prod_nat].
    set (P := ck_prod_nat (fun k => 1 - IZR (1 + Z.of_nat k) / N) n) in *.
    replace (IZR (1 + Z.of_nat (S n))) with (INR n + 2)
      by (rewrite plus_IZR, Nat2Z.inj_succ, succ_IZR, <- INR_IZR_INZ; lra).
    assert (F0 : 0 <= 1 - (INR n + 2) / N).
    { assert (Q : (INR n + 2) / N <= 1).
      { apply Rmult_le_reg_r with N; [exact HN0|].
        unfold Rdiv. rewrite Rmult_assoc, Rinv_l, Rmult_1_r, Rmult_1_l; lra. }
      lra. }
    assert (F1 : 1 - (INR n + 2) / N <= exp (- ((INR n + 2) / N))).
    { pose proof (exp_ineq1_le (- ((INR n + 2) / N))). lra. }
    split.
    + apply Rmult_le_pos; assumption.
    + apply Rle_trans with (exp (- (INR n + 1) * (INR n + 2) / (2 * N)) * exp (- ((INR n + 2) / N))).
      * apply Rmult_le_compat; assumption.
      * rewrite <- exp_plus. right. f_equal. field. lra.
Qed.

Theorem birthday__exp_bound : forall (v_N : Z) (v_M : Z),
    (0 < v_N)%Z ->
    (0 < v_M)%Z ->
    ((IZR v_M) <= (IZR v_N)) ->
    ((ck_prod 1%Z (v_M - 1%Z)%Z (fun k_i : Z => (1 - ((IZR k_i) / (IZR v_N))))) <= (exp (((- (IZR v_M)) * ((IZR v_M) - 1)) / (2 * (IZR v_N))))).
Proof.
  intros N M HN HM HMN. unfold ck_prod.
  destruct (Z.ltb_spec (M - 1) 1) as [Hlt|Hge].
  - assert (E : M = 1%Z) by lia. subst M.
    replace (- IZR 1 * (IZR 1 - 1) / (2 * IZR N)) with 0 by (simpl; field; apply not_0_IZR; lia).
    rewrite exp_0. lra.
  - set (n := Z.to_nat (M - 1 - 1)).
    assert (EM : IZR M = INR n + 2).
    { unfold n. rewrite INR_IZR_INZ, Z2Nat.id by lia. rewrite !minus_IZR. simpl. lra. }
    destruct (prod_bound (IZR N) n ltac:(lra)) as [_ B].
    rewrite EM. replace (- (INR n + 2) * (INR n + 2 - 1) / (2 * IZR N))
      with (- (INR n + 1) * (INR n + 2) / (2 * IZR N)) by (field; apply not_0_IZR; lia).
    exact B.
Qed.

(* The probability: the cited counting fact, as a named axiom. *)
Parameter cite__counting__no_collision : Z -> Z -> R.
Notation no_collision := cite__counting__no_collision.
Axiom cite__counting : forall N M : Z, (0 < N)%Z -> (0 < M)%Z ->
  no_collision N M = ck_prod 1 (M - 1) (fun i => 1 - IZR i / IZR N).

Theorem birthday_collision_exp_bound : forall N M : Z, (0 < N)%Z -> (0 < M)%Z -> (M <= N)%Z ->
  1 - exp (- IZR M * (IZR M - 1) / (2 * IZR N)) <= 1 - no_collision N M.
Proof.
  intros N M HN HM HMN. rewrite cite__counting by assumption.
  pose proof (birthday__exp_bound N M HN HM (IZR_le _ _ HMN)). lra.
Qed.

Theorem birthday_365_23 : 1 - no_collision 365 23 >= 1 / 2.
Proof. rewrite cite__counting by lia. unfold ck_prod, ck_prod_nat. simpl. interval. Qed.

(* `checker audit` appends `Check` and `Print Assumptions` of the theorem its outline names. *)
