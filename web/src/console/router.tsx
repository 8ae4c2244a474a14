// A small router over the History API: the console has a handful of flat
// routes, and the server answers every one of them with the console's page
// (its history fallback), so a reload or a shared link opens the same screen.
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";

type Location = { path: string; search: URLSearchParams };

const RouterContext = createContext<{ loc: Location; navigate: (to: string) => void }>({
  loc: { path: "/", search: new URLSearchParams() },
  navigate: () => {},
});

function current(): Location {
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

export function Router({ children }: { children: React.ReactNode }) {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const onPop = () => setLoc(current());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const navigate = (to: string) => {
    if (to !== location.pathname + location.search) history.pushState(null, "", to);
    setLoc(current());
    scrollTo(0, 0);
  };
  return <RouterContext.Provider value={{ loc, navigate }}>{children}</RouterContext.Provider>;
}

export function useRouter() {
  return useContext(RouterContext);
}

// match returns the parameters of a pattern such as /targets/:id, or null.
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.replace(/\/+$/, "").split("/");
  if (path === "/") s.splice(1);
  if (pattern === "/") p.splice(1);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) out[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

export function Link({ to, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const { navigate } = useRouter();
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={onClick} {...rest} />;
}
