(* checker's Coq prelude: the definitions every generated file shares.
   It is pasted verbatim at the top of each file `checker audit --coq-out DIR` writes, so that
   plain `coqc FILE.v` compiles it with nothing else on the load path.
   Trusted: the two range operators below (the empty range is defined once, here) and the
   floor/ceiling of a real.  The tactics are not trusted: whatever they do, Qed re-checks it. *)
From Coq Require Import Reals Lra Psatz Lia ZArith.
From Interval Require Import Tactic.
Open Scope R_scope.

(* Sum and Product of f i over the integers a <= i <= b; an empty range (b < a) gives 0 and 1. *)
Definition ck_sum (a b : Z) (f : Z -> R) : R :=
  if Z.ltb b a then 0
  else sum_f_R0 (fun k => f (a + Z.of_nat k)%Z) (Z.to_nat (b - a)).
Fixpoint ck_prod_nat (f : nat -> R) (n : nat) : R :=
  match n with O => f O | S m => ck_prod_nat f m * f (S m) end.
Definition ck_prod (a b : Z) (f : Z -> R) : R :=
  if Z.ltb b a then 1
  else ck_prod_nat (fun k => f (a + Z.of_nat k)%Z) (Z.to_nat (b - a)).

(* floor and ceiling of a real, as integers (Int_part x = up x - 1 is the floor). *)
Definition ck_floor (x : R) : Z := Int_part x.
Definition ck_ceil (x : R) : Z := (- Int_part (- x))%Z.

(* small facts for hand proofs (proved here, so checked like everything else) *)
Lemma ck_div_nonneg : forall a b : R, 0 <= a -> 0 < b -> 0 <= a / b.
Proof. intros a b Ha Hb. unfold Rdiv. apply Rmult_le_pos; [exact Ha | apply Rlt_le, Rinv_0_lt_compat, Hb]. Qed.
Lemma ck_div_pos : forall a b : R, 0 < a -> 0 < b -> 0 < a / b.
Proof. intros a b Ha Hb. unfold Rdiv. apply Rmult_lt_0_compat; [exact Ha | apply Rinv_0_lt_compat, Hb]. Qed.
Lemma ck_le_div : forall a b c : R, 0 < c -> a * c <= b -> a <= b / c.
Proof. intros a b c Hc H. apply Rmult_le_reg_r with c; [exact Hc|].
  unfold Rdiv. rewrite Rmult_assoc, Rinv_l, Rmult_1_r; [exact H | apply Rgt_not_eq, Hc]. Qed.

(* ---- the tactic ladder (untrusted: Qed re-checks every proof) ---- *)
(* integer symbols: their sign facts as real inequalities, for lra/nra *)
Ltac ck_zfacts :=
  repeat match goal with
  | H : (0 < ?z)%Z |- _ =>
      lazymatch goal with
      | _ : 1 <= IZR z |- _ => fail
      | _ => assert (1 <= IZR z) by (apply IZR_le; lia)
      end
  | H : (0 <= ?z)%Z |- _ =>
      lazymatch goal with
      | _ : 0 <= IZR z |- _ => fail
      | _ => assert (0 <= IZR z) by (apply IZR_le; lia)
      end
  end.
Ltac ck_prep := cbv zeta; intros; cbv zeta in *; ck_zfacts.
Ltac ck_ineq := solve [lra | nra | psatz R 2].
Ltac ck_pos :=
  solve [ lra | nra | apply exp_pos | apply PI_RGT_0
        | apply Rmult_lt_0_compat; ck_pos | apply Rdiv_lt_0_compat; ck_pos
        | apply Rinv_0_lt_compat; ck_pos | apply sqrt_lt_R0; ck_pos
        | apply pow_lt; ck_pos | apply Rplus_lt_0_compat; ck_pos ].
Ltac ck_nonneg :=
  solve [ lra | apply Rlt_le; ck_pos | apply sqrt_pos | apply pow2_ge_0 | apply Rle_0_sqr
        | apply Rmult_le_pos; ck_nonneg | apply ck_div_nonneg; [ck_nonneg | ck_pos]
        | apply Rplus_le_le_0_compat; ck_nonneg | apply pow_le; ck_nonneg | nra ].
Ltac ck_nonzero :=
  match goal with
  | |- ?a <> 0 => solve [apply Rgt_not_eq; ck_ineq | apply Rlt_not_eq; ck_ineq
                        | apply Rgt_not_eq; apply exp_pos
                        | apply Rgt_not_eq; apply sqrt_lt_R0; ck_ineq
                        | interval | nra]
  | |- _ => ck_ineq
  end.
Ltac ck_field := solve [field; repeat split; ck_nonzero].
(* ranges with literal bounds: compute them *)
Ltac ck_ranges := unfold ck_sum, ck_prod in *; simpl.
(* name sqrt a (and a quotient a / b with 0 < b) and state its defining equation *)
Ltac ck_name_sqrt :=
  repeat match goal with
  | |- context[sqrt ?a] =>
      let s := fresh "sq" in let Hs := fresh "Hsq" in let Hp := fresh "Hsq" in
      assert (Hp : 0 <= sqrt a) by apply sqrt_pos;
      assert (Hs : sqrt a * sqrt a = a) by (apply sqrt_sqrt; ck_nonneg);
      set (s := sqrt a) in *; clearbody s
  end.
Ltac ck_name_div :=
  repeat match goal with
  | |- context[?a / ?b] =>
      let q := fresh "q" in let Hq := fresh "Hq" in let Hb := fresh "Hb" in
      assert (Hb : 0 < b) by ck_pos;
      assert (Hq : a / b * b = a) by (field; apply Rgt_not_eq; exact Hb);
      set (q := a / b) in *; clearbody q
  | H : context[?a / ?b] |- _ =>
      let q := fresh "q" in let Hq := fresh "Hq" in let Hb := fresh "Hb" in
      assert (Hb : 0 < b) by ck_pos;
      assert (Hq : a / b * b = a) by (field; apply Rgt_not_eq; exact Hb);
      set (q := a / b) in *; clearbody q
  end.
(* an antecedent of a used lemma: numeric, linear, nonlinear or integer *)
Ltac ck_side := solve [assumption | lra | lia | ck_nonneg | ck_pos | ck_nonzero | nra | interval].
(* discharge the antecedents of an instantiated lemma H, as far as they go (never fails: an
   antecedent left open keeps H an implication, and a later ck_use may discharge it) *)
Ltac ck_use H :=
  cbv zeta in H;
  repeat match type of H with
  | ?A -> _ => let h := fresh "side" in assert (h : A) by ck_side; specialize (H h)
  end.
