(* checker's Coq prelude for derivatives: pasted after CheckerPrelude.v in a generated file only
   when one of its statements uses `diff` (translated to Coquelicot's total `Derive`).
   Nothing here is trusted: `Derive` is Coquelicot's definition, and the tactic below only
   rewrites with Coquelicot's lemmas (is_derive_unique, Derive_ext); Qed re-checks all of it. *)
From Coquelicot Require Import Coquelicot.

(* Rewrite every `Derive f p` by its value, innermost first: a function whose body contains no
   Derive is differentiated by `auto_derive` (which proves `is_derive f p l` and leaves l); a
   function whose body contains Derive is first rewritten pointwise (Derive_ext), recursively.
   Fails on nothing: a Derive that auto_derive cannot handle is left in the goal. *)
Ltac ck_derive :=
  repeat match goal with
  | |- context [Derive ?F ?p] =>
      lazymatch F with
      | context [Derive] =>
          let G := fresh "G" in
          evar (G : R -> R);
          rewrite (Derive_ext F G) by (intro; cbv beta; ck_derive; subst G; reflexivity);
          subst G; cbv beta
      | _ =>
          let l := fresh "l" in let H := fresh "H" in
          evar (l : R);
          assert (H : is_derive F p l) by (subst l; auto_derive; try exact I; try reflexivity);
          rewrite (is_derive_unique F p l H); subst l; clear H
      end
  end; cbv beta.

(* every proof in a file with derivatives starts by computing them *)
Ltac ck_prep ::= cbv zeta; intros; cbv zeta in *; ck_zfacts; ck_derive.
