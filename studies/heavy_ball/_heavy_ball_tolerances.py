"""What the heavy_ball suite's papers' words mean as numbers (the library's thresholds live in
convcheck/stats/thresholds.py)."""

#: "Accelerated" (Goujaud, Taylor & Dieuleveut 2025): a rate 1 - Theta(1/sqrt(kappa)) rather than
#: 1 - O(1/kappa). At one kappa, a quadratic worst-case rate rho is read as accelerated when its
#: gain 1 - rho is at least this fraction of Polyak's optimal gain 1 - q = 2/(sqrt(kappa) + 1): at
#: kappa = 25 that is 1 - rho >= 1/6, more than twice gradient descent's best gain 2/(kappa + 1).
ACCELERATED_FRACTION = 0.5
