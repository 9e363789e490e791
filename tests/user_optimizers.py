"""Optimizers as a user writes them: torch.optim.Optimizer subclasses, correct and planted wrong.

``convcheck check`` must give a correct one the library's verdict and refute a wrong one by
the claim it breaks (tests/test_check.py); they are importable as ``user_optimizers:NAME``.
"""

import torch


def _evaluate(closure):
    """The usual start of a step: the closure's loss, when there is a closure."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class SAM(torch.optim.Optimizer):
    """Sharpness-aware minimisation (Foret et al. 2021) with a closure: ascend to
    w + rho g/||g||, take the gradient there, step from w."""

    def __init__(self, params, lr, rho=0.05):
        super().__init__(params, dict(lr=lr, rho=rho))

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                w = p.clone()
                g = p.grad
                p.add_(self._direction(g) * group["rho"])
                with torch.enable_grad():
                    closure()
                p.copy_(w - group["lr"] * p.grad)
        return loss

    @staticmethod
    def _direction(g):
        return g / g.norm()


class DownhillSAM(SAM):
    """Planted wrong: the perturbation points downhill."""

    @staticmethod
    def _direction(g):
        return -g / g.norm()


class FrozenScheduleSGD(torch.optim.SGD):
    """Planted wrong: ignores changes of lr after construction (a scheduler that never reaches it)."""

    def __init__(self, params, lr, **kw):
        super().__init__(params, lr=lr, **kw)
        self._lr0 = [g["lr"] for g in self.param_groups]

    @torch.no_grad()
    def step(self, closure=None):
        for group, lr in zip(self.param_groups, self._lr0):
            group["lr"] = lr
        return super().step(closure)


class SignFlippedMomentum(torch.optim.Optimizer):
    """Planted wrong: heavy ball with the history term's sign flipped, v = -momentum v + g."""

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                v = state.get("v")
                v = p.grad.clone() if v is None else -group["momentum"] * v + p.grad
                state["v"] = v
                p.add_(v, alpha=-group["lr"])
        return loss


class TinyAdagrad(torch.optim.Adagrad):
    """Planted wrong: a step 1e-4 times the lr it is given."""

    def __init__(self, params, lr, **kw):
        super().__init__(params, lr=lr * 1e-4, **kw)


class EpsInsideRMSprop(torch.optim.Optimizer):
    """Planted wrong: RMSProp with eps inside the root, sqrt(v + eps)."""

    def __init__(self, params, lr, alpha=0.99, eps=1e-8):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                v = self.state[p].setdefault("v", torch.zeros_like(p))
                v.mul_(group["alpha"]).addcmul_(p.grad, p.grad, value=1 - group["alpha"])
                p.addcdiv_(p.grad, (v + group["eps"]).sqrt(), value=-group["lr"])
        return loss


class AdamNoBiasCorrection(torch.optim.Optimizer):
    """Planted wrong: Adam without the bias correction of Eqs. (45)-(46)."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                st = self.state[p]
                m = st.setdefault("m", torch.zeros_like(p))
                v = st.setdefault("v", torch.zeros_like(p))
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-group["lr"])
        return loss


class OvershootSGD(torch.optim.SGD):
    """Planted wrong: steps 1.3 times the lr it is given (so 'eta < 2/L' is not what it runs)."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            group["lr"] *= 1.3
        loss = super().step(closure)
        for group in self.param_groups:
            group["lr"] /= 1.3
        return loss


class ModelSAM(torch.optim.Optimizer):
    """SAM for a whole model, as the README writes it: one ascent over every parameter (the norm of
    all their gradients), one closure call, the step from w."""

    def __init__(self, params, lr, rho=0.05):
        super().__init__(params, dict(lr=lr, rho=rho))

    @torch.no_grad()
    def step(self, closure):
        ps = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        norm = torch.norm(torch.stack([p.grad.norm() for p in ps]))
        w = {p: p.clone() for p in ps}
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad * (group["rho"] / norm))
        with torch.enable_grad():
            closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.copy_(w[p] - group["lr"] * p.grad)


class HalvingGD(torch.optim.Optimizer):
    """Alg. 1 as a user writes it: from eta = lr, halve until the closure's loss decreases (Eq. 6),
    then step by eta along -g. ``factor`` < 1/2 plants a wrong search that can undershoot 1/(2L)."""

    factor = 0.5

    def __init__(self, params, lr=1.0):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            f0 = float(closure())
        ps = [p for group in self.param_groups for p in group["params"]]
        w, g = [p.clone() for p in ps], [p.grad.clone() for p in ps]
        eta = self.param_groups[0]["lr"]
        for _ in range(60):
            for p, wp, gp in zip(ps, w, g):
                p.copy_(wp - eta * gp)
            with torch.enable_grad():
                if float(closure()) < f0:
                    break
            eta *= self.factor
        return f0


class TenthGD(HalvingGD):
    """Planted wrong: shrinks by 10 instead of 2, so its accepted step can fall below 1/(2L)."""

    factor = 0.1


class ASAM(torch.optim.Optimizer):
    """Adaptive SAM (Kwon et al. 2021) for a whole model: T_w = |w| + eta elementwise over every
    parameter, the ascent rho T^2 g / ||T g|| (one norm over all parameters), one closure call."""

    def __init__(self, params, lr, rho=0.5, eta=0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eta=eta))

    @torch.no_grad()
    def step(self, closure):
        ps = [(p, group) for group in self.param_groups for p in group["params"] if p.grad is not None]
        tg = [(p.abs() + group["eta"]) * p.grad for p, group in ps]
        norm = torch.norm(torch.stack([t.norm() for t in tg]))
        w = {p: p.clone() for p, _ in ps}
        for (p, group), t in zip(ps, tg):
            p.add_((p.abs() + group["eta"]) * t * (group["rho"] / norm))
        with torch.enable_grad():
            closure()
        for p, group in ps:
            p.copy_(w[p] - group["lr"] * p.grad)


class FixedEtaASAM(ASAM):
    """Planted wrong: T_w = |w| + 0.01 whatever eta it is given (an additive eta breaks the invariance)."""

    @torch.no_grad()
    def step(self, closure):
        for group in self.param_groups:
            group["eta"], given = 0.01, group["eta"]
        super().step(closure)
        for group in self.param_groups:
            group["eta"] = given


class SWPSAM(torch.optim.Optimizer):
    """SAM with ESAM's stochastic weight perturbation, per coordinate: keep each coordinate of the ascent
    rho g / ||g|| (one norm over the model) with probability beta, divide by beta; one closure call."""

    scale = True

    def __init__(self, params, lr, rho=0.05, beta=0.5):
        super().__init__(params, dict(lr=lr, rho=rho, beta=beta))

    @torch.no_grad()
    def step(self, closure):
        ps = [(p, group) for group in self.param_groups for p in group["params"] if p.grad is not None]
        norm = torch.norm(torch.stack([p.grad.norm() for p, _ in ps]))
        w = {p: p.clone() for p, _ in ps}
        for p, group in ps:
            keep = (torch.rand_like(p) < group["beta"]).to(p.dtype)
            p.add_(keep * p.grad * (group["rho"] / norm) / (group["beta"] if self.scale else 1.0))
        with torch.enable_grad():
            closure()
        for p, group in ps:
            p.copy_(w[p] - group["lr"] * p.grad)


class UndividedSWPSAM(SWPSAM):
    """Planted wrong: the kept coordinates are not divided by beta (biased by the factor beta)."""

    scale = False


class TwiceClosureAdam(torch.optim.Adam):
    """Adam whose step calls its closure twice before stepping (the loss, then again for a
    logging hook, as some libraries do): the same iterates as torch.optim.Adam, two evaluations."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        _evaluate(closure)
        super().step()
        return loss


class NoClosureAdam(torch.optim.Adam):
    """Adam whose step takes a closure and never calls it (it reads ``.grad`` as set before the step)."""

    @torch.no_grad()
    def step(self, closure=None):
        return super().step()


class ClosureAfterStepAdam(torch.optim.Adam):
    """Adam that steps first and calls its closure at the new point (a loss for logging): the same
    iterates as torch.optim.Adam, with one more evaluation away from the step's point."""

    @torch.no_grad()
    def step(self, closure=None):
        super().step()
        return _evaluate(closure)


class BrokenStepAdam(torch.optim.Adam):
    """Planted failure of the class itself: its step raises."""

    def step(self, closure=None):
        raise RuntimeError("this optimizer's own step failed")


class EpsOnlyAdam(torch.optim.Adam):
    """Adam behind a signature (lr, eps), AdaGrad's: it must not enter the adagrad role for sharing eps."""

    def __init__(self, params, lr, eps=1e-8):
        super().__init__(params, lr=lr, eps=eps)


class RenamedAdagrad(torch.optim.Adagrad):
    """torch's AdaGrad under another name: it enters the adagrad role by its first steps."""


class BetaMomentumSGD(torch.optim.SGD):
    """Heavy ball whose momentum is called ``beta`` (heavyball's SGD): fits the momentum role with a rename."""

    def __init__(self, params, lr, beta=0.0):
        super().__init__(params, lr=lr, momentum=beta)


class ThreeBetaAdam(torch.optim.Adam):
    """Adam with a third beta it does not use for plain steps (as three-beta classes carry one for an
    extra average): the role's two betas are completed with its own third."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999, 0.9999), eps=1e-8):
        b1, b2, self.beta3 = betas
        super().__init__(params, lr=lr, betas=(b1, b2), eps=eps)


class RowNormalisedSGD(torch.optim.Optimizer):
    """A layer-wise method: a matrix's rows are each normalised (as Muon, LARS, AdamP treat matrices
    apart), a vector is stepped as SGD: studies hold vectors, so the page must say it fell back."""

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @staticmethod
    def vector_direction(g):
        """The step direction on a vector (a non-matrix parameter): SGD's."""
        return g

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                g = self.vector_direction(p.grad) if p.ndim < 2 else p.grad / p.grad.norm(dim=-1, keepdim=True)
                p.add_(g, alpha=-group["lr"])


class ScheduleFreeSGD(torch.optim.Optimizer):
    """Schedule-free SGD (Defazio et al. 2024, Alg. 1 with beta): the gradient at y = (1 - beta) z + beta x,
    z -= lr g, x = (1 - c) x + c z with c = 1/(t + 1). In train() the parameters hold y; in eval() x,
    the point to evaluate. A step in eval mode is an error, as in the schedulefree package."""

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))
        self.training = False

    @torch.no_grad()
    def train(self):
        if not self.training:
            for group in self.param_groups:
                for p in group["params"]:
                    st = self.state[p]
                    if "x" in st:  # params hold x: y = (1 - beta) z + beta x
                        p.copy_((1 - group["momentum"]) * st["z"] + group["momentum"] * st["x"])
            self.training = True

    @torch.no_grad()
    def eval(self):
        if self.training:
            for group in self.param_groups:
                for p in group["params"]:
                    st = self.state[p]
                    if "x" in st:
                        p.copy_(st["x"])
            self.training = False

    @torch.no_grad()
    def step(self, closure=None):
        if not self.training:
            raise RuntimeError("the optimizer must be in train mode to step (call train())")
        for group in self.param_groups:
            beta = group["momentum"]
            for p in group["params"]:
                st = self.state[p]
                if "x" not in st:
                    st["x"], st["z"], st["t"] = p.clone(), p.clone(), 0
                st["t"] += 1
                st["z"].add_(p.grad, alpha=-group["lr"])
                c = 1.0 / (st["t"] + 1)
                st["x"].mul_(1 - c).add_(st["z"], alpha=c)
                p.copy_((1 - beta) * st["z"] + beta * st["x"])


class Float32StateSGD(torch.optim.SGD):
    """Heavy ball whose parameters are rounded to float32 after each step (a lower-precision state, as
    heavyball keeps its moments): the same algorithm to round-off, not another one."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.copy_(p.float().double())
        return loss
