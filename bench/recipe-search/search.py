"""Recipe search on a GPU with the PyTorch twin of ferkit's network (../shared/bench/torch_reference.py).
Not the product: it tells which schedule/regularisation/widths to run in ferkit's own trainer on the CPU.
usage: python3 search.py CONFIG_JSON OUTFILE  (one config per process; appends JSON lines to OUTFILE)
Needs torch_reference.py (../shared/bench) and the packed arrays (see README.md) in the same folder."""
import json, lzma, math, os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(__file__))
from torch_reference import DownUnit, IdentityUnit

cfg = json.loads(sys.argv[1]); out = sys.argv[2]
dev = 'cuda' if torch.cuda.is_available() else 'cpu'
torch.backends.cudnn.benchmark = True
torch.manual_seed(cfg.get('seed', 1)); np.random.seed(cfg.get('seed', 1))
d = os.path.dirname(__file__)
def load(n):
    x = np.frombuffer(lzma.open(f'{d}/{n}_x.u8.xz').read(), np.uint8).reshape(-1, 1, 48, 48)
    y = np.frombuffer(open(f'{d}/{n}_y.u8', 'rb').read(), np.uint8)
    lim = cfg.get('limit')
    if lim: x, y = x[:lim], y[:lim]
    return torch.tensor(x, device=dev), torch.tensor(y.astype(np.int64), device=dev)
xtr, ytr = load('train'); xte, yte = load('test')

class Net(nn.Module):
    def __init__(s, widths, units, stem=8, dropout=0.0, classes=7):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(1, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(), nn.Conv2d(stem, stem, 3, padding=1, bias=False))
        L, c = [], stem
        for w in widths:
            L.append(DownUnit(c, w)); L += [IdentityUnit(w) for _ in range(units - 1)]; c = w
        s.body = nn.Sequential(*L); s.bn = nn.BatchNorm2d(c); s.drop = nn.Dropout(dropout); s.head = nn.Conv2d(c, classes, 3, padding=1)
    def forward(s, x):
        return s.head(s.drop(torch.relu(s.bn(s.body(s.stem(x)))))).mean((2, 3))

net = Net(cfg['widths'], cfg['units'], cfg.get('stem', 8), cfg.get('dropout', 0.0)).to(dev)
params = sum(p.numel() for p in net.parameters())
E, B = cfg['epochs'], cfg.get('batch', 64)
steps_per_epoch = math.ceil(len(ytr) / B); total = E * steps_per_epoch
lr, wd = cfg.get('lr', 3e-3), cfg.get('wd', 5e-4)
if cfg.get('opt', 'adamw') == 'sgd':
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
else:
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=wd, **({'fused': True} if dev == 'cuda' else {}))
# ferkit's one-cycle: cosine up from lr/25 over 30% of steps, cosine down to lr/25/1e4
pct, up = 0.3, None
up = max(1, int(pct * total) - 1); tot = max(up + 1, total - 1)
def lr_at(step):
    if cfg.get('sched', 'onecycle') == 'cosine':
        w = 2 * steps_per_epoch
        return lr * step / w if step < w else lr * 0.5 * (1 + math.cos(math.pi * min(1, (step - w) / (total - w))))
    cosf = lambda a, b, t: b + (a - b) / 2 * (1 + math.cos(math.pi * min(1, t)))
    start = lr / 25; end = start / 1e4
    return cosf(start, lr, step / up) if step <= up else cosf(lr, end, (step - up) / (tot - up))

aug = {'shift': 4, 'rotate': 10, 'scale': [0.9, 1.1], 'brightness': 0.2, 'contrast': 0.2, 'erase': 0.25, **cfg.get('aug', {})}
def augment(xb):
    n = xb.shape[0]; x = xb.float() / 255
    th = (torch.rand(n, device=dev) * 2 - 1) * aug['rotate'] * math.pi / 180
    sc = aug['scale'][0] + torch.rand(n, device=dev) * (aug['scale'][1] - aug['scale'][0])
    fl = torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0)
    tx = (torch.rand(n, device=dev) * 2 - 1) * aug['shift'] * 2 / 47; ty = (torch.rand(n, device=dev) * 2 - 1) * aug['shift'] * 2 / 47
    c, s = torch.cos(th) / sc, torch.sin(th) / sc
    theta = torch.stack([torch.stack([c * fl, -s, -tx], 1), torch.stack([s * fl, c, -ty], 1)], 1)
    g = F.affine_grid(theta, x.shape, align_corners=True)
    x = F.grid_sample(x, g, mode='bilinear', padding_mode='border', align_corners=True)
    m = x.mean((1, 2, 3), keepdim=True)
    ct = 1 + (torch.rand(n, 1, 1, 1, device=dev) * 2 - 1) * aug['contrast']
    br = (torch.rand(n, 1, 1, 1, device=dev) * 2 - 1) * aug['brightness']
    x = ((x - m) * ct + m + br).clamp(0, 1)
    x = (x - 0.5) / 0.25
    if aug['erase'] > 0:
        area = (0.02 + torch.rand(n, device=dev) * 0.18) * 48 * 48
        ar = torch.exp(math.log(0.3) + torch.rand(n, device=dev) * (math.log(3.3) - math.log(0.3)))
        h = (area * ar).sqrt().clamp(1, 48); w = (area / ar).sqrt().clamp(1, 48)
        y0 = torch.rand(n, device=dev) * (48 - h); x0 = torch.rand(n, device=dev) * (48 - w)
        ii = torch.arange(48, device=dev).float()
        my = (ii[None] >= y0[:, None]) & (ii[None] < (y0 + h)[:, None]); mx = (ii[None] >= x0[:, None]) & (ii[None] < (x0 + w)[:, None])
        mask = (my[:, :, None] & mx[:, None, :]) & (torch.rand(n, device=dev) < aug['erase'])[:, None, None]
        x = x.masked_fill(mask[:, None], 0.0)
    return x

def evaluate():
    net.eval(); res = {}
    with torch.no_grad():
        x = (xte.float() / 255 - 0.5) / 0.25
        lg = torch.cat([net(x[i:i + 1024]) for i in range(0, len(x), 1024)])
        lf = torch.cat([net(x[i:i + 1024].flip(3)) for i in range(0, len(x), 1024)])
        res['acc'] = (lg.argmax(1) == yte).float().mean().item()
        res['acc_flip'] = ((lg.softmax(1) + lf.softmax(1)).argmax(1) == yte).float().mean().item()
        # ten-crop 42 -> 48 as ferkit's tenCrop
        P = 0
        for (cx, cy) in [(0, 0), (6, 0), (0, 6), (6, 6), (3, 3)]:
            cr = F.interpolate(x[:, :, cy:cy + 42, cx:cx + 42], size=48, mode='bilinear', align_corners=False)
            for im in (cr, cr.flip(3)):
                P = P + torch.cat([net(im[i:i + 1024]).softmax(1) for i in range(0, len(x), 1024)])
        res['acc_tencrop'] = (P.argmax(1) == yte).float().mean().item()
    net.train(); return res

ls = cfg.get('ls', 0.1); step = 0; t0 = time.time(); best = 0
for ep in range(E):
    perm = torch.randperm(len(ytr), device=dev); tl = 0; tc = 0
    for i in range(0, len(ytr), B):
        idx = perm[i:i + B]
        if len(idx) < 2: continue
        for gp in opt.param_groups: gp['lr'] = lr_at(step)
        lg = net(augment(xtr[idx])); loss = F.cross_entropy(lg, ytr[idx], label_smoothing=ls)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); step += 1
        tl += loss.detach() * len(idx); tc += (lg.argmax(1) == ytr[idx]).sum()
    r = evaluate(); best = max(best, r['acc'])
    rec = {'name': cfg['name'], 'epoch': ep + 1, 'epochs': E, 'params': params, 'trainLoss': tl.item() / len(ytr), 'trainAcc': tc.item() / len(ytr), **r, 'best': best, 'sec': round(time.time() - t0, 1)}
    with open(out, 'a') as f: f.write(json.dumps(rec) + '\n')
