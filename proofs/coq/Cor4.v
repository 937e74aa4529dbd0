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

Print Assumptions cor4_closed_form.
