import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApolloProvider } from "@apollo/client/react";
import { Auth, createConsoleClient } from "./client";
import { Router } from "./router";
import { App } from "./App";
import "./console.css";

const auth = new Auth();
const client = createConsoleClient(auth);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <Router>
        <App auth={auth} />
      </Router>
    </ApolloProvider>
  </StrictMode>,
);
